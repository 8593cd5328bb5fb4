// fast-mt: the fast implementation for several threads at once. Written from
// spec/ alone, apart from the model, as impl/fast is; it has the ops a
// threaded process needs (fork, thread, exit, write, read, madvise) over
// private anonymous memory, and answers them one at a time (apply) or from
// one std::thread per lane (run_lanes).
//
// Locking, as Linux has it, and taken in this order:
//   task op lock       per task: a task is one thread of control, so its ops
//                      (and its exit) run one at a time
//   mmap lock          per space, a shared_mutex: faults and madvise take it
//                      shared, fork exclusive (as dup_mmap takes the parent's
//                      mmap_write_lock), the last exit exclusive for teardown
//   page-table locks   per space, one per 512 vpns (Linux's split PTE lock, one
//                      per page-table page): every PTE read that decides
//                      something, and every PTE change; several are taken
//                      in vpn order
//   task-table lock    global shared_mutex: pid lookup (shared), a new or
//                      ending task (exclusive), so a pid and the ProcLimit
//                      count change together; fork takes it under the mmap
//                      lock, never under a page-table lock (snapshot(), with
//                      no op in flight, takes it before the page-table locks)
//   tasks lock         per space: the list of tasks a shootdown visits
//   translation lock   per task: its translation cache (a software TLB)
//   zone lock          the free list (mt_frames.h), last
// Refcounts and page words are atomics.
//
// Each task has its own translation cache, filled only under the page-table
// lock; an access through it holds the task's translation lock, so a
// shootdown (which takes every task's translation lock in turn, under the
// page-table lock, after changing the PTE) returns only when no task can
// still use the old translation: an IPI that every CPU has answered.
//
// The write fault is Linux's do_wp_page: decided under the page-table lock;
// a reuse makes the PTE writable in place; a copy takes a reference to the
// old frame, drops the lock, allocates and copies, re-takes the lock and
// installs only if the PTE is unchanged (pte_same), flushing every task's
// cached translation of the page, else frees its copy and retries. A fork
// write-protects the parent's PTEs and flushes every translation its tasks
// cached before the child can be named.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string_view>
#include <vector>

#include "impl/fast/mt/mt_frames.h"
#include "impl/fast/pte_bits.h"
#include "impl/fast/translation_cache.h"
#include "spec/implementation.h"

namespace cow::fast {

// The seeded concurrency bugs: each turns one line of the correct code wrong.
enum class MtMutation : std::uint8_t {
  None,
  // The write fault installs its copy without re-checking the PTE: of two
  // threads that fault on one page at once, the later install throws away
  // the earlier one's copy and the write made into it.
  NoPteRecheck,
  // A COW break flushes only the writer's cached translation: a sibling
  // thread keeps reading the frame the writer left.
  NoTlbFlush,
};

struct MtVariant {
  std::string_view name;  // as in --impl NAME
  std::string_view description;
  MtMutation mutation = MtMutation::None;
  bool is_mutant = false;
};

// "fast-mt", then "fast-mt-mutant:NAME" for each seeded bug.
std::span<const MtVariant> mt_variants();
std::unique_ptr<Implementation> make_fast_mt(const Config& config, MtMutation mutation);

class FastMt final : public Implementation {
 public:
  // `resched`: the write fault's copy yields the CPU between dropping and
  // re-taking the page-table lock, where Linux's allocation may sleep.
  explicit FastMt(const Config& config, MtMutation mutation = MtMutation::None,
                  bool resched = true);
  ~FastMt() override;

  Outcome apply(const Op& op) override;
  std::vector<Call> run_lanes(const Lanes& lanes) override;
  std::optional<Snapshot> snapshot() const override;  // only while no op is in flight
  OpSet supported_ops() const override { return kMtOps; }

  static constexpr OpSet kMtOps = op_mask(OpKind::Fork) | op_mask(OpKind::Write) |
                                  op_mask(OpKind::Read) | op_mask(OpKind::Exit) |
                                  op_mask(OpKind::Thread) | op_mask(OpKind::Madvise);

 private:
  struct Task;
  // An address space: one PTE per vpn (a flat table: the radix tree and its
  // shared leaf tables are impl/fast's), every vpn private anonymous.
  struct Mm {
    static constexpr std::uint32_t kPtlSpan = 512;  // the vpns a leaf table maps
    explicit Mm(std::uint32_t pages) : ptls((pages + kPtlSpan - 1) / kPtlSpan), ptes(pages, 0) {}
    std::mutex& ptl(Vpn vpn) { return ptls[vpn / kPtlSpan]; }
    std::shared_mutex mmap_lock;
    std::vector<std::mutex> ptls;
    std::vector<Pte> ptes;  // under the ptl of their vpn; 0 is an untouched page
    std::mutex tasks_lock;
    std::vector<Task*> tasks;  // under tasks_lock: the tasks running in it
  };
  struct Task {
    Pid pid = 0;
    Pid group = 0;
    std::shared_ptr<Mm> mm;
    std::mutex op_lock;
    bool alive = true;  // under op_lock
    std::mutex tlb_lock;
    TranslationCache tlb;  // under tlb_lock
  };
  struct FaultResult {
    Status status = Status::Ok;
    Fault fault = Fault::None;
    bool untouched = false;  // a read of a page never written: zero, nothing mapped
  };

  Outcome call(const Op& op);
  std::shared_ptr<Task> find(Pid pid) const;
  Outcome do_access(Task& task, Vpn vpn, std::uint32_t word, std::optional<Value> value);
  FaultResult handle_fault(Task& task, Vpn vpn, bool write);
  bool can_reuse(Pte pte) const;
  Outcome do_fork(Task& parent);
  Outcome do_thread(Task& creator);
  Outcome do_madvise(Task& task, Vpn vpn, std::uint32_t count);
  void exit_task(Task& task);  // with its op lock held
  Outcome out_of_memory(Task& task);
  void mm_teardown(Mm& mm);
  // Under the vpn's ptl: `task` caches the translation the PTE allows.
  static void tlb_fill(Task& task, Vpn vpn, Pte pte);
  // Under the vpn's ptl (for kAllPages, the mmap lock held exclusive), after
  // a PTE change: no task of `mm` still uses a cached translation of `vpn`
  // (of every vpn, for kAllPages).
  static void shootdown(Mm& mm, Vpn vpn);
  static constexpr Vpn kAllPages = ~Vpn{0};
  bool mutated(MtMutation m) const { return mutation_ == m; }

  Config config_;
  MtMutation mutation_;
  bool resched_;
  MtFrames frames_;
  mutable std::shared_mutex task_table_lock_;
  std::map<Pid, std::shared_ptr<Task>> tasks_;  // under task_table_lock_
  Pid next_pid_ = kInitPid + 1;                 // under task_table_lock_
  std::atomic<std::uint64_t> ticks_{1};         // run_lanes' logical clock
};

}  // namespace cow::fast
