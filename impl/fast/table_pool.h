// Page-table pages: tables of 512 PTEs (4 KiB), handed out by number from
// chunks that never move, each with a refcount (how many upper-level entries
// point at it: above 1 only for a leaf table shared by fork) and a free list.
// Tables are not data frames and do not count against Config::frames.
//
// A machine of few pages never indexes a table past its first few entries
// (every index at every level is at most the vpn), so the pool stores and
// clears only the first `used` entries of each table (rounded up to a power
// of two: the stride), with their reverse-map links beside them in the same
// chunk. A fresh table clears just its stride when it is first handed out;
// a freed one comes back already clean. With `used` = entries (any machine
// of 512 pages or more) a table is the whole 4 KiB page, page aligned.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "impl/fast/pte_bits.h"

namespace cow::fast {

using TableId = std::uint32_t;

// A leaf entry's place in the reverse map: table * stride + index. Each
// present (or swapped) leaf entry is on one doubly linked list, its frame's
// (or its slot's), threaded through links kept beside the entries, so adding
// and removing a mapping is O(1) and a walk visits exactly the mappers.
using Loc = std::uint32_t;
inline constexpr Loc kNoLoc = ~Loc{0};
inline constexpr Loc kDetached = ~Loc{0} - 1;  // in no list
struct RmapLink {
  Loc prev = kDetached;
  Loc next = kDetached;
};

class TablePool {
 public:
  // Tables of `entries` entries of which only the first `used` (0: all) are
  // ever read or written.
  explicit TablePool(std::uint32_t entries, std::uint32_t used = 0);
  TablePool(const TablePool& other);
  TablePool& operator=(const TablePool&) = delete;

  // A table of all-empty entries with refcount 1, in O(1) (amortized): a
  // freed table as it is (clean), else a fresh one with its stride cleared.
  TableId table_alloc() {
    TableId table;
    if (!free_.empty()) {
      table = free_.back();
      free_.pop_back();
    } else {
      table = table_fresh();
    }
    refcount_[table] = 1;
    return table;
  }
  // Another upper-level entry now points at `table`.
  void table_get(TableId table);
  // One fewer entry points at `table`; the caller frees it at 0. Returns the
  // refcount left.
  std::uint32_t table_put(TableId table);
  // Returns a table whose refcount reached 0 to the free list. The caller
  // has cleared every entry it set, so table_alloc never clears it again.
  void table_free(TableId table);

  Pte* entries(TableId table) {
    return ptes_[table >> chunk_shift_] + (std::size_t{table & chunk_mask_} << stride_shift_);
  }
  const Pte* entries(TableId table) const {
    return ptes_[table >> chunk_shift_] + (std::size_t{table & chunk_mask_} << stride_shift_);
  }
  // Entry `index` of a table, 0 (empty) past the stored ones: a query for a
  // vpn beyond the machine reads what was never set.
  Pte entry_or_empty(TableId table, std::uint32_t index) const {
    return index < stride() ? entries(table)[index] : Pte{0};
  }
  // The reverse-map links of a table's entries (meaningful for leaf tables).
  RmapLink& link(Loc loc) {
    TableId table = loc >> stride_shift_;
    return links_[table >> chunk_shift_]
                 [(std::size_t{table & chunk_mask_} << stride_shift_) | (loc & stride_mask())];
  }
  const RmapLink& link(Loc loc) const {
    TableId table = loc >> stride_shift_;
    return links_[table >> chunk_shift_]
                 [(std::size_t{table & chunk_mask_} << stride_shift_) | (loc & stride_mask())];
  }
  Loc loc(TableId table, std::uint32_t index) const { return (table << stride_shift_) | index; }
  TableId loc_table(Loc loc) const { return loc >> stride_shift_; }
  std::uint32_t loc_index(Loc loc) const { return loc & stride_mask(); }
  Pte& entry(Loc loc) { return entries(loc_table(loc))[loc_index(loc)]; }
  Pte entry(Loc loc) const { return entries(loc_table(loc))[loc_index(loc)]; }

  std::uint32_t refcount(TableId table) const { return refcount_[table]; }
  std::uint32_t entries_per_table() const { return entries_; }
  // How many leading entries of each table are stored (indices below it).
  std::uint32_t stride() const { return std::uint32_t{1} << stride_shift_; }
  std::uint32_t tables_in_use() const {
    return static_cast<std::uint32_t>(next_fresh_ - free_.size());
  }
  std::uint32_t tables_reserved() const { return static_cast<std::uint32_t>(refcount_.size()); }
  // What a table stands for: one page of `entries` PTEs, however much of
  // it is stored.
  std::size_t table_bytes() const { return std::size_t{entries_} * sizeof(Pte); }

 private:
  struct ChunkDelete {
    std::size_t align;
    void operator()(std::byte* p) const;
  };
  using Chunk = std::unique_ptr<std::byte[], ChunkDelete>;

  std::uint32_t stride_mask() const { return stride() - 1; }
  std::size_t chunk_ptes() const { return std::size_t{tables_per_chunk()} << stride_shift_; }
  std::uint32_t tables_per_chunk() const { return chunk_mask_ + 1; }
  std::size_t chunk_bytes() const { return chunk_ptes() * (sizeof(Pte) + sizeof(RmapLink)); }
  TableId table_fresh();
  void add_chunk();

  std::uint32_t entries_;
  std::uint32_t stride_shift_;
  std::uint32_t chunk_shift_;  // log2 of the tables a chunk holds
  std::uint32_t chunk_mask_;
  std::size_t align_;          // 4096 for whole-page tables
  std::vector<Chunk> chunks_;  // each: its tables' entries, then their links
  std::vector<Pte*> ptes_;     // per chunk, into chunks_
  std::vector<RmapLink*> links_;
  std::vector<std::uint32_t> refcount_;  // one per table reserved
  TableId next_fresh_ = 0;               // tables below it have been handed out once
  std::vector<TableId> free_;
};

}  // namespace cow::fast
