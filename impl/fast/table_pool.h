// Page-table pages: 4 KiB tables of 512 PTEs, handed out by number from
// chunks that never move, each with a refcount (how many upper-level entries
// point at it: above 1 only for a leaf table shared by fork) and a free list.
// Tables are not data frames and do not count against Config::frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "impl/fast/pte_bits.h"

namespace cow::fast {

using TableId = std::uint32_t;

// A leaf entry's place in the reverse map: table * entries + index. Each
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
  explicit TablePool(std::uint32_t entries);
  TablePool(const TablePool& other);
  TablePool& operator=(const TablePool&) = delete;

  // A table of all-empty entries with refcount 1, in O(1) (amortized).
  TableId table_alloc();
  // Another upper-level entry now points at `table`.
  void table_get(TableId table);
  // One fewer entry points at `table`; the caller frees it at 0. Returns the
  // refcount left.
  std::uint32_t table_put(TableId table);
  // Returns a table whose refcount reached 0 to the free list. The caller
  // has cleared every entry it set, so table_alloc never clears 4 KiB.
  void table_free(TableId table);

  Pte* entries(TableId table) {
    return chunks_[table / kTablesPerChunk].get() + std::size_t{table % kTablesPerChunk} * entries_;
  }
  const Pte* entries(TableId table) const {
    return chunks_[table / kTablesPerChunk].get() + std::size_t{table % kTablesPerChunk} * entries_;
  }
  // The reverse-map links of a table's entries (meaningful for leaf tables).
  RmapLink& link(Loc loc) {
    TableId table = loc / entries_;
    return links_[table / kTablesPerChunk][std::size_t{table % kTablesPerChunk} * entries_ +
                                           loc % entries_];
  }
  const RmapLink& link(Loc loc) const {
    TableId table = loc / entries_;
    return links_[table / kTablesPerChunk][std::size_t{table % kTablesPerChunk} * entries_ +
                                           loc % entries_];
  }
  Loc loc(TableId table, std::uint32_t index) const { return table * entries_ + index; }
  TableId loc_table(Loc loc) const { return loc / entries_; }
  std::uint32_t loc_index(Loc loc) const { return loc % entries_; }
  Pte& entry(Loc loc) { return entries(loc_table(loc))[loc_index(loc)]; }
  Pte entry(Loc loc) const { return entries(loc_table(loc))[loc_index(loc)]; }

  std::uint32_t refcount(TableId table) const { return refcount_[table]; }
  std::uint32_t entries_per_table() const { return entries_; }
  std::uint32_t tables_in_use() const {
    return static_cast<std::uint32_t>(refcount_.size() - free_.size());
  }
  std::uint32_t tables_reserved() const { return static_cast<std::uint32_t>(refcount_.size()); }
  std::size_t table_bytes() const { return std::size_t{entries_} * sizeof(Pte); }

 private:
  struct ChunkDelete {
    void operator()(Pte* p) const;
  };
  using Chunk = std::unique_ptr<Pte[], ChunkDelete>;
  // 16 KiB at a time: small machines (the differential engine builds
  // thousands a second) stay cheap, and a big one wastes at most 3 tables.
  static constexpr std::uint32_t kTablesPerChunk = 4;

  Chunk new_chunk() const;

  std::uint32_t entries_;
  std::vector<Chunk> chunks_;
  std::vector<std::unique_ptr<RmapLink[]>> links_;  // one array per chunk
  std::vector<std::uint32_t> refcount_;  // one per table ever reserved
  std::vector<TableId> free_;
};

}  // namespace cow::fast
