// The reference model with its ops as steps, so that the ops of several
// tasks interleave as they do on several CPUs (docs/mechanism.md, "Ops as
// steps"). A lane is a CPU: it runs one op at a time, step by step; an op
// belongs to its pid's task, and a task has at most one op in flight.
//
// A step is atomic. A page-table-lock critical section is always one step,
// so the lock needs no state; the mmap lock is held across steps and is
// modelled (readers, or one writer). The steps between critical sections
// are where races live:
//   - a user load or store goes through the lane's translation cache (TLB),
//     then the PTE, and takes a fault only when neither allows it;
//   - a write fault decides under the lock; a copy takes a reference on the
//     old page, drops the lock, allocates and copies, then re-takes it and
//     installs only if the PTE is unchanged (pte_same), else retries;
//   - a PTE that loses a frame or its write permission is flushed from
//     every task's TLB (flush_tlb_page);
//   - get_user_pages (memwrite, pin) loops: follow the page, else fault it
//     in, and retry; pin tries the lockless GUP-fast first, which re-checks
//     the PTE and fork's sequence count after taking its reference;
//   - madvise takes the mmap lock for read and zaps its range in one step;
//     fork takes it for write, copies the page tables in one step, and
//     lets the child run in another (why one step: fork_copy, zap).
// Every other op (exit, exec, vfork, thread, mmap, munmap, swapout, unpin,
// copyout) is one step taken only when no other op is in flight: the model
// may serialize them, as a kernel with one big lock would. Run one op at a
// time, every op gives exactly CowModel's answer and state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

#include "model/cow_model.h"

namespace cow::model {

// Where an op in flight is: the step it takes next.
enum class Pc : std::uint8_t {
  Atomic,       // the whole op, when nothing else is in flight
  Access,       // user load/store: TLB, then the PTE, else fault
  FaultLock,    // mmap_read_lock for the fault
  FaultIn,      // handle_mm_fault under the PTE lock: bring in, decide
  WpCopy,       // wp_page_copy: allocate and copy, no lock
  WpInstall,    // re-take the lock, pte_same, install the copy
  GupLock,      // get_user_pages: mmap_read_lock
  GupFollow,    // follow_page_mask: the page, if the PTE allows the access
  GupFaultIn,   // faultin_page: handle_mm_fault, then retry the follow
  GupStore,     // the kernel's store through the page it got, then put_page
  FastWalk,     // GUP-fast: read the PTE without locks
  FastGrab,     // GUP-fast: take the pin's reference
  FastRecheck,  // GUP-fast: the PTE and fork's sequence count are unchanged
  PinLock,      // the slow pin: mmap_read_lock
  PinFault,     // the slow pin: fault in and pin under the PTE lock
  ZapLock,      // madvise: mmap_read_lock
  Zap,          // madvise: drop the range's pages
  ForkLock,     // fork: mmap_write_lock
  ForkCopy,     // fork: the parent's page tables into the child's
  ForkDone,     // fork: the child runs; unlock
};

std::string_view pc_name(Pc pc);

class SteppedModel : public CowModel {
 public:
  using Lane = std::uint32_t;

  explicit SteppedModel(const Config& config);

  std::unique_ptr<Implementation> clone() const override;

  // Whether `lane` may start `op` now: it has none in flight, nor has the
  // op's task on another lane.
  bool can_start(Lane lane, const Op& op) const;
  // Starts `op` on `lane` and takes its first step.
  std::optional<Outcome> start(Lane lane, const Op& op);
  bool busy(Lane lane) const { return tasks_.count(lane) != 0; }
  bool idle() const { return tasks_.empty(); }
  // Whether the next step of `lane`'s op can be taken (it is not waiting
  // for the mmap lock, or for the machine to be quiet).
  bool enabled(Lane lane) const;
  // Takes one step of `lane`'s op: its outcome when that was the last.
  std::optional<Outcome> step(Lane lane);
  // The step `lane` takes next, for schedules and pictures.
  Pc next_step(Lane lane) const { return tasks_.at(lane).pc; }

  // Equal machines, tasks in flight and locks included: the exhaustive
  // search of interleavings merges them.
  bool same_state(const SteppedModel& other) const;

 protected:
  // A cached translation: what a lane's CPU remembers of a PTE.
  struct TlbEntry {
    Pfn frame = kNoFrame;
    bool writable = false;
    friend bool operator==(const TlbEntry&, const TlbEntry&) = default;
  };
  // An op in flight and its locals.
  struct Task {
    Op op;
    Pc pc = Pc::Atomic;
    Fault fault = Fault::None;  // the first fault it took, as CowModel reports
    Pte orig;                   // the PTE as the fault or GUP-fast read it
    Pfn copy = kNoFrame;        // wp_page_copy's new frame, not yet mapped
    Pfn page = kNoFrame;        // the page GUP took a reference on
    bool foll_write = false;    // GUP still asks for write access
    std::uint64_t seq = 0;      // fork's sequence count as GUP-fast read it
    Space child;                // fork: the child's space so far
    friend bool operator==(const Task&, const Task&) = default;
  };
  // The mmap lock of one space: readers, or one writer.
  struct MmapLock {
    std::uint32_t readers = 0;
    bool writer = false;
    friend bool operator==(const MmapLock&, const MmapLock&) = default;
  };

  // The steps a race mutant overrides, one virtual each.

  // WpInstall: may the copy be installed? pte_same(), the re-check.
  virtual bool wp_pte_same(const Pte& now, const Pte& orig) const { return now == orig; }
  // A PTE of `space` at `vpn` lost its frame or its write permission:
  // every task's cached translation goes (flush_tlb_page). `lane` is the
  // CPU that changed it, whose own entry goes whatever the others do.
  void flush_tlb_page(std::uint32_t space, Vpn vpn, Lane lane);
  // The flush after a COW break moved the page to a new frame.
  virtual void wp_flush(std::uint32_t space, Vpn vpn, Lane lane) {
    flush_tlb_page(space, vpn, lane);
  }
  // GupFaultIn: the fault broke COW on a read-only mapping. Whether the
  // retry still asks for write access (the Dirty COW fix keeps it, and
  // lets the follow accept the private copy the fault made).
  virtual bool gup_keeps_write_after_cow() const { return true; }
  // FastRecheck: did the PTE or fork's sequence count change since the
  // walk? Then GUP-fast gives its reference back and takes the slow path.
  virtual bool gup_fast_changed(const Task& task, const Pte& now) const;

  std::uint32_t space_id(Pid pid) const { return state_.procs.at(pid).space; }
  // The CPU `lane` forgets its translation of `vpn`, as a fault does.
  void forget_own(Vpn vpn, Lane lane) { tlbs_[lane].erase(vpn); }

 private:
  std::optional<Outcome> begin(Lane lane, Task& task);
  std::optional<Outcome> run(Lane lane, Task& task);
  std::optional<Outcome> finish(Lane lane, const Outcome& outcome);
  std::optional<Outcome> fail_alloc(Lane lane, Task& task);

  std::optional<Outcome> access(Lane lane, Task& task);
  std::optional<Outcome> fault_in(Lane lane, Task& task);
  bool bring_in(Space& space, Vpn vpn, bool for_write, Fault& reported);
  std::optional<Outcome> wp_copy_step(Lane lane, Task& task);
  std::optional<Outcome> wp_install(Lane lane, Task& task);
  std::optional<Outcome> gup_follow(Lane lane, Task& task);
  std::optional<Outcome> gup_fault_in(Lane lane, Task& task);
  std::optional<Outcome> gup_store(Lane lane, Task& task);
  std::optional<Outcome> fast_walk(Lane lane, Task& task);
  std::optional<Outcome> fast_recheck(Lane lane, Task& task);
  std::optional<Outcome> pin_fault(Lane lane, Task& task);
  std::optional<Outcome> zap(Lane lane, Task& task);
  std::optional<Outcome> fork_copy(Lane lane, Task& task);
  std::optional<Outcome> fork_done(Lane lane, Task& task);
  std::optional<Outcome> fork_abort(Lane lane, Task& task, Status status);

  bool mmap_free_for_read(Pid pid) const;
  bool mmap_free_for_write(Pid pid) const;
  MmapLock& mmap_lock(Pid pid) { return locks_[space_id(pid)]; }
  void mmap_read_unlock(Pid pid);
  void flush_all_tlbs() { tlbs_.clear(); }
  // A user access the PTE or a cached translation allows, done at once.
  std::optional<Outcome> user_access(const Op& op, Pfn frame, Fault fault);

  std::map<Lane, Task> tasks_;
  std::map<Lane, std::map<Vpn, TlbEntry>> tlbs_;  // a lane's CPU runs one space's task at a time
  std::map<Lane, std::uint32_t> tlb_space_;       // the space whose translations a lane holds
  std::map<std::uint32_t, MmapLock> locks_;
  std::uint64_t write_protect_seq_ = 0;  // odd while a fork copies the page tables
};

}  // namespace cow::model
