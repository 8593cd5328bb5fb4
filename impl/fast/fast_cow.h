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

#include "impl/fast/frame_arena.h"
#include "impl/fast/geometry.h"
#include "impl/fast/mutation.h"
#include "impl/fast/table_pool.h"
#include "impl/fast/translation_cache.h"
#include "spec/implementation.h"

namespace cow::fast {

enum class ForkMode : std::uint8_t { Eager, SharedTables };

struct FastOptions {
  ForkMode fork_mode = ForkMode::Eager;
  bool translation_cache = true;
  Mutation mutation = Mutation::None;
};

class FastCow final : public Implementation {
 public:
  // `config` is taken as is, not checked with config_error(): pages may go
  // up to what the geometry translates (a 1 GiB space is 262144 pages).
  FastCow(const Config& config, const FastOptions& options);

  Outcome apply(const Op& op) override;
  std::optional<Snapshot> snapshot() const override;
  std::unique_ptr<Implementation> clone() const override;

  // The reuse policy, a pure predicate: may the writer keep `frame`, mapped
  // by `leaf_table`? A frame's refcount counts leaf tables, not processes:
  // refcount 1 in a table that fork shares between three processes is three
  // owners, so the table must be the writer's alone too.
  bool can_reuse_frame(Pfn frame, TableId leaf_table) const {
    return frames_.refcount(frame) == 1 && tables_.refcount(leaf_table) == 1;
  }

  // Queries for tests and benchmarks too big for a snapshot (1000 processes
  // of 1 GiB would be 262 million PTE views).
  std::optional<PteView> pte_view(Pid pid, Vpn vpn) const;   // nullopt: no such process
  std::optional<TableId> leaf_table_of(Pid pid, Vpn vpn) const;
  std::uint32_t frame_refcount(Pfn frame) const { return frames_.refcount(frame); }
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
  struct Process {
    TableId root = 0;
    TranslationCache tlb;
  };

  // Where a walk for one vpn ended: the leaf entry, the level-1 entry that
  // points at its table, and whether every upper level lets writes through.
  struct Walk {
    bool found = false;  // false: a table on the way is missing
    TableId leaf_table = 0;
    std::uint32_t leaf_index = 0;
    TableId upper_table = 0;
    std::uint32_t upper_index = 0;
    bool path_writable = true;
  };

  // fast_cow.cpp: ops, walks, the read and write paths.
  Walk walk(TableId root, Vpn vpn) const;
  Pte& leaf(const Walk& w) { return tables_.entries(w.leaf_table)[w.leaf_index]; }
  Pte leaf(const Walk& w) const { return tables_.entries(w.leaf_table)[w.leaf_index]; }
  Pte& upper(const Walk& w) { return tables_.entries(w.upper_table)[w.upper_index]; }
  Pte& walk_alloc(TableId root, Vpn vpn);
  Outcome do_read(Process& proc, Vpn vpn, std::uint32_t word);
  Outcome do_write(Process& proc, Vpn vpn, std::uint32_t word, Value value);
  bool mutated(Mutation m) const { return options_.mutation == m; }
  void tlb_flush_page(Process& proc, Vpn vpn) { proc.tlb.flush_page(vpn); }

  // fast_fork.cpp
  Outcome do_fork(Process& parent);
  TableId fork_table(TableId parent, std::uint32_t level, std::uint64_t base);

  // fast_fault.cpp: do_wp_page as dispatcher + predicate + actions.
  Outcome wp_fault(Process& proc, Vpn vpn, Walk& w);
  void wp_reuse(Process& proc, Vpn vpn, Walk& w);
  bool wp_copy(Process& proc, Vpn vpn, Walk& w);
  void table_unshare(Walk& w, Vpn vpn);
  void table_reclaim(Walk& w, Vpn vpn);

  // fast_exit.cpp
  Outcome do_exit(Pid pid);
  void exit_drop_table(TableId table, std::uint32_t level, std::uint64_t base);
  void exit_leave_shared_table(TableId table, std::uint64_t base);

  Config config_;
  FastOptions options_;
  Geometry geometry_;
  FrameArena frames_;
  TablePool tables_;
  std::map<Pid, Process> processes_;
  Pid next_pid_ = kInitPid + 1;
};

// What the hardware enforces for a leaf entry reached through `path_writable`
// upper levels: writable only if every level says so; a page write-protected
// only by a shared table is copy-on-write all the same.
constexpr Pte pte_effective(Pte leaf, bool path_writable) {
  return path_writable ? leaf : pte_write_protect(leaf);
}

}  // namespace cow::fast
