// The fast implementation: 4-level radix page tables of 64-bit PTEs, an arena
// of real 4 KiB frames with flat refcounts and a free list, and two fork
// modes: eager (copy every PTE, as Linux does) and shared-tables (share the
// leaf tables until the first write through them, as On-Demand-Fork does,
// EuroSys 2021). Written from spec/ alone, apart from the model, so that a
// differential test of the two means something.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "impl/fast/frame_arena.h"
#include "impl/fast/geometry.h"
#include "impl/fast/mutation.h"
#include "impl/fast/table_pool.h"
#include "impl/fast/translation_cache.h"
#include "spec/implementation.h"
#include "spec/reuse_policy.h"

namespace cow::fast {

enum class ForkMode : std::uint8_t { Eager, SharedTables };

struct FastOptions {
  ForkMode fork_mode = ForkMode::Eager;
  bool translation_cache = true;
  Mutation mutation = Mutation::None;
};

// What a process sees in a leaf entry reached through `path_writable` upper
// levels: a leaf table shared by fork is write-protected at its level-1
// entry, and every private page in it is copy-on-write (and not exclusive)
// as eager fork would have left it; shared and text pages are as they are.
constexpr Pte pte_effective(Pte leaf, bool path_writable) {
  return path_writable ? leaf : pte_fork_protect(leaf);
}

class FastCow final : public Implementation {
 public:
  // `config` is taken as is, not checked with config_error(): pages may go
  // up to what the geometry translates (a 1 GiB space is 262144 pages).
  FastCow(const Config& config, const FastOptions& options);

  Outcome apply(const Op& op) override;
  std::optional<Snapshot> snapshot() const override;
  std::unique_ptr<Implementation> clone() const override;

  // The reuse policy (Config::policy), a pure predicate: may the writer keep
  // the frame its present, read-only, cow, private PTE `pte` (as the
  // process sees it: pte_effective) maps, reached through `leaf_table`? A
  // frame's refcount counts leaf tables and pins, not processes: refcount 1
  // in a table that fork shares between three processes is three owners, so
  // the table must be the writer's alone too. Never asked of a cache frame.
  bool can_reuse(Pte pte, TableId leaf_table) const {
    Pfn frame = pte_frame(pte);
    // Every other process sharing the leaf table holds the frame too.
    std::uint32_t refs = frames_.refcount(frame) + tables_.refcount(leaf_table) - 1;
    return reuses(pte_exclusive(pte), refs, meta_[frame].pins);
  }
  // The same for a PTE that is not exclusive.
  bool can_reuse_frame(Pfn frame, TableId leaf_table) const {
    return can_reuse(pte_make_present(MapKind::PrivateAnon, frame, false, true, false), leaf_table);
  }

  // Queries for tests and benchmarks too big for a snapshot (1000 processes
  // of 1 GiB would be 262 million PTE views).
  std::optional<PteView> pte_view(Pid pid, Vpn vpn) const;  // nullopt: no such process
  std::optional<TableId> leaf_table_of(Pid pid, Vpn vpn) const;
  std::uint32_t frame_refcount(Pfn frame) const { return frames_.refcount(frame); }
  std::uint32_t frame_pins(Pfn frame) const { return meta_[frame].pins; }
  // The leaf entries the reverse map lists for a frame or a slot: what a
  // swapout or a swap-in visits (shared tables count once).
  std::uint32_t frame_rmap_size(Pfn frame) const { return rmap_size(meta_[frame].rmap); }
  std::uint32_t slot_rmap_size(Slot slot) const {
    return slot < slots_.size() ? rmap_size(slots_[slot].rmap) : 0;
  }
  std::uint32_t table_refcount(TableId table) const { return tables_.refcount(table); }
  std::uint32_t free_frames() const { return frames_.free_count(); }
  std::size_t live_processes() const { return processes_.size(); }
  // Bytes of page-table pages in use (tables reserved but free not counted).
  std::size_t page_table_bytes() const {
    return std::size_t{tables_.tables_in_use()} * tables_.table_bytes();
  }
  const Geometry& geometry() const { return geometry_; }
  const FastOptions& options() const { return options_; }

  // The translation caches are performance only: flushing them, or turning
  // them off, must never change a result.
  void flush_translation_caches();
  void set_translation_cache(bool on);

 private:
  // A task, and the address space it runs in, named by the lowest live pid
  // running in it: the holder, whose root and translation cache every task
  // of the space uses. A space is made with one task (the first process, a
  // fork child, an exec), later tasks (vfork children, threads) take higher
  // pids, and when the holder leaves, the lowest of the rest takes over.
  struct Process {
    Pid space = 0;
    Pid vfork_parent = 0;    // set while it runs in its parent's space
    bool suspended = false;  // stopped in vfork until its child execs or exits
    bool holder = true;      // space is its own pid: it holds the root
    Pid group = 0;           // its thread group: the pid of the task that began it
    TableId root = 0;
    TranslationCache tlb;
    std::uint64_t tlb_generation = 0;
  };

  // Per data frame: its reverse map (the leaf entries that map it), the
  // pins that hold it, the vpn it lives at (every PTE of a frame is at the
  // same vpn: fork keeps vpns and object page p is mapped at vpn p), and,
  // for a cache frame, the object page it caches.
  struct FrameMeta {
    Loc rmap = kNoLoc;
    std::uint32_t pins = 0;
    Vpn vpn = 0;
    std::uint32_t object = kNoObject;  // kNoObject: anonymous memory
  };
  static constexpr std::uint32_t kNoObject = ~std::uint32_t{0};

  // A swap slot: its refcount counts leaf entries (like a frame's) and its
  // reverse map lists them.
  struct SwapSlot {
    std::uint32_t refcount = 0;
    PageData data{};
    Loc rmap = kNoLoc;
  };

  // An object: the file (object 0) or one shared-anon mapping. A page is
  // cached in one frame or held in the backing store; a page never stored
  // holds the initial contents (file_word for the file, zeros otherwise).
  struct Object {
    std::map<Vpn, PageData> store;
    std::map<Vpn, Pfn> cache;
  };

  struct Pin {
    Pfn frame = kNoFrame;
    bool rw = false;
  };

  // Where a walk for one vpn ended: the leaf entry, the level-1 entry that
  // points at its table, and whether every upper level lets writes through.
  struct Walk {
    bool found = false;  // false: a table on the way is missing (an untouched page)
    TableId leaf_table = 0;
    std::uint32_t leaf_index = 0;
    TableId upper_table = 0;
    std::uint32_t upper_index = 0;
    bool path_writable = true;
  };

  // What a fault-in is for: a read, a write (or rw pin), a read-only pin, or
  // a forced write of text (FOLL_FORCE), which breaks COW as a write would
  // but leaves the copy read-only.
  enum class Access : std::uint8_t { Read, Write, PinRo, Force };
  // A fault, decided in full before any step is taken, so that it needs
  // exactly `frames` free frames and none of its steps can fail.
  struct FaultPlan {
    Fault bring_in = Fault::None;  // SwapIn, ZeroFill, PageIn; None: the page is present
    bool break_cow = false;        // then the write fault (do_wp_page)
    bool reuse = false;            // which keeps the frame; else copies it
    std::uint32_t frames = 0;
    bool forced = false;  // on text: the copy stays read-only, a reuse changes nothing
  };
  // The policy's decision on the references as processes count them:
  // `refs` of them, `pins` of which are pins (spec/reuse_policy.h).
  bool reuses(bool exclusive, std::uint32_t refs, std::uint32_t pins) const {
    return policy_reuses(config_.policy, exclusive, refs - pins, refs);
  }

  // fast_cow.cpp: ops, walks, the read, write and copyout paths, mmap, pins.
  Walk walk(TableId root, Vpn vpn) const;
  // The leaf entry a walk ended at; 0 (an untouched private anon page) when
  // a table on the way is missing.
  Pte pte_at(const Walk& w) const {
    return w.found ? tables_.entry_or_empty(w.leaf_table, w.leaf_index) : 0;
  }
  // The same as the process sees it.
  Pte pte_seen(const Walk& w) const { return pte_effective(pte_at(w), w.path_writable); }
  // The leaf entry itself, for a walk that found its table.
  Pte& leaf(const Walk& w) { return tables_.entries(w.leaf_table)[w.leaf_index]; }
  Pte& upper(const Walk& w) { return tables_.entries(w.upper_table)[w.upper_index]; }
  Loc leaf_loc(const Walk& w) const { return tables_.loc(w.leaf_table, w.leaf_index); }
  Loc walk_alloc(TableId root, Vpn vpn);
  Walk leaf_for_update(Process& space, Vpn vpn);
  // The process whose space `proc` runs in: itself, or (a vfork child) the owner.
  Process& space_of(Process& proc) { return proc.holder ? proc : processes_.at(proc.space); }
  const Process& space_of(const Process& proc) const {
    return proc.holder ? proc : processes_.at(proc.space);
  }
  TranslationCache& tlb(Process& space);
  Outcome page_op(Process& proc, const Op& op);
  Outcome do_read(Pid pid, Process& space, Vpn vpn, std::uint32_t word);
  Outcome do_write(Pid pid, Process& space, Vpn vpn, std::uint32_t word, Value value);
  Outcome do_copyout(Pid pid, Process& space, Vpn vpn, std::uint32_t word, Value value);
  Outcome do_memwrite(Pid pid, Process& space, Vpn vpn, std::uint32_t word, Value value);
  Outcome do_mmap(Process& space, Vpn vpn, std::uint32_t count, MapKind kind);
  Outcome do_madvise(Process& space, Vpn vpn, std::uint32_t count);
  Outcome do_pin(Pid pid, Process& space, Vpn vpn, bool rw);
  Outcome do_unpin(PinId id, std::uint32_t word);
  Outcome out_of_memory(Pid pid);
  bool mutated(Mutation m) const { return options_.mutation == m; }
  void tlb_flush_page(Process& space, Vpn vpn) { space.tlb.flush_page(vpn); }
  // Every cached translation of every process is stale: a change made
  // through the reverse map, in spaces other than the faulting one.
  void tlb_shootdown() { ++tlb_generation_; }

  // fast_fork.cpp
  Outcome do_fork(Process& parent);
  Outcome do_vfork(Process& parent, Pid parent_pid);
  Outcome do_thread(const Process& creator);
  TableId fork_table(TableId parent, std::uint32_t level, std::uint64_t base);
  Pte fork_early_copy(Pte parent, Vpn vpn, Loc child);

  // fast_fault.cpp: fault-in (plan, then act), do_wp_page as dispatcher +
  // predicate + actions, zero-fill, page-in, swap-in, swapout.
  FaultPlan plan_fault(const Process& space, Vpn vpn, Access access) const;
  Fault fault_in(Process& space, Vpn vpn, const FaultPlan& plan);
  Fault wp_fault(Process& space, Vpn vpn, Walk& w, bool reuse);
  void wp_reuse(Process& space, Vpn vpn, Walk& w);
  void wp_copy(Process& space, Vpn vpn, Walk& w, bool forced = false);
  void zero_fill(Process& space, Vpn vpn);
  void page_in(Process& space, Vpn vpn, Pte pte);
  void swap_in(Slot slot, Vpn vpn);
  Outcome do_swapout(Process& space, Vpn vpn);
  void table_unshare(Walk& w, Vpn vpn);
  void table_reclaim(Walk& w, Vpn vpn);

  // fast_exit.cpp
  Outcome do_exit(Pid pid);
  Outcome do_exec(Pid pid);
  void leave_vfork(Process& proc);
  void end_thread_group(Pid pid);
  void leave_space(Pid pid, Process& proc);  // exit and exec: hand the space over, or drop it
  void space_drop(Process& owner);
  void exit_drop_table(TableId table, std::uint32_t level, std::uint64_t base);
  void exit_leave_shared_table(TableId table, std::uint64_t base);

  // Frames, slots and the reverse map (fast_fault.cpp).
  Pfn frame_take(Vpn vpn);     // a free frame exists (checked by the caller)
  void frame_drop(Pfn frame);  // the last reference writes a cache frame back
  void frame_fill_from_object(Pfn frame, std::uint32_t object, Vpn page);
  Slot slot_take(const PageData& data);
  void slot_drop(Slot slot);
  void rmap_add(Loc& head, Loc loc);
  void rmap_remove(Loc& head, Loc loc);
  std::uint32_t rmap_size(Loc head) const;
  // The sum over a reverse map of the processes each entry stands for.
  std::uint32_t rmap_sharers(Loc head) const;
  // Drops what a leaf entry holds (a frame or a slot) and unlinks it.
  void entry_release(Loc loc, Pte pte);

  Config config_;
  FastOptions options_;
  Geometry geometry_;
  FrameArena frames_;
  TablePool tables_;
  std::vector<FrameMeta> meta_;
  std::vector<SwapSlot> slots_;
  std::vector<Object> objects_;
  std::map<PinId, Pin> pins_;
  std::map<Pid, Process> processes_;
  Pid next_pid_ = kInitPid + 1;
  PinId next_pin_ = 1;
  std::uint64_t tlb_generation_ = 0;
  std::vector<Vpn> fork_early_;  // during a fork: the parent's vpns copied at once, sorted
};

}  // namespace cow::fast
