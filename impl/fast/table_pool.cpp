#include "impl/fast/table_pool.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <stdexcept>
#include <string>

#include "spec/panic.h"

namespace cow::fast {

namespace {

constexpr std::size_t kPageAlign = 4096;
// A chunk holds at least this many tables, and for small strides as many
// as fit this many bytes of entries: whole-page tables come 16 KiB at a
// time (a big machine wastes at most 3), a small machine's 4-entry tables
// 8 to a chunk of 512 bytes (entries and links), a block the allocator
// hands out from its per-thread cache.
constexpr std::uint32_t kMinTablesPerChunk = 4;
constexpr std::size_t kChunkEntryBytes = 256;

}  // namespace

void TablePool::ChunkDelete::operator()(std::byte* p) const {
  if (align > __STDCPP_DEFAULT_NEW_ALIGNMENT__)
    ::operator delete (p, std::align_val_t{align});
  else
    ::operator delete(p);
}

TablePool::TablePool(std::uint32_t entries, std::uint32_t used) : entries_(entries) {
  if (used == 0 || used > entries) used = entries;
  std::uint32_t stride = std::bit_ceil(used);
  stride_shift_ = static_cast<std::uint32_t>(std::countr_zero(stride));
  std::size_t table_bytes = std::size_t{stride} * sizeof(Pte);
  std::size_t per_chunk =
      std::max<std::size_t>(kMinTablesPerChunk, std::bit_floor(kChunkEntryBytes / table_bytes));
  chunk_shift_ = static_cast<std::uint32_t>(std::countr_zero(per_chunk));
  chunk_mask_ = static_cast<std::uint32_t>(per_chunk - 1);
  // Whole-page tables stay page aligned, as the host's are.
  align_ = table_bytes >= kPageAlign ? kPageAlign : __STDCPP_DEFAULT_NEW_ALIGNMENT__;
}

TablePool::TablePool(const TablePool& other)
    : entries_(other.entries_),
      stride_shift_(other.stride_shift_),
      chunk_shift_(other.chunk_shift_),
      chunk_mask_(other.chunk_mask_),
      align_(other.align_),
      refcount_(other.refcount_),
      next_fresh_(other.next_fresh_),
      free_(other.free_) {
  // Only the tables handed out so far hold anything; the rest are cleared
  // when they are first handed out.
  std::size_t stride = std::size_t{1} << stride_shift_;
  for (std::size_t c = 0; c < other.chunks_.size(); ++c) {
    add_chunk();
    std::size_t first = c << chunk_shift_;
    std::size_t tables =
        next_fresh_ > first ? std::min<std::size_t>(tables_per_chunk(), next_fresh_ - first) : 0;
    std::copy_n(other.ptes_[c], tables * stride, ptes_[c]);
    std::copy_n(other.links_[c], tables * stride, links_[c]);
  }
}

void TablePool::add_chunk() {
  std::size_t bytes = chunk_bytes();
  auto* p = static_cast<std::byte*>(align_ > __STDCPP_DEFAULT_NEW_ALIGNMENT__
                                        ? ::operator new (bytes, std::align_val_t{align_})
                                        : ::operator new(bytes));
  chunks_.push_back(Chunk(p, ChunkDelete{align_}));
  ptes_.push_back(reinterpret_cast<Pte*>(p));
  links_.push_back(reinterpret_cast<RmapLink*>(p + chunk_ptes() * sizeof(Pte)));
}

TableId TablePool::table_fresh() {
  TableId table = next_fresh_;
  if (table == refcount_.size()) {
    // A Loc (table * stride + index) must fit in 32 bits.
    if ((std::uint64_t{table} + tables_per_chunk()) << stride_shift_ >= kDetached)
      panic("table_alloc", "too many tables for a 32-bit reverse-map location", "table", table);
    refcount_.resize(refcount_.size() + tables_per_chunk(), 0);
    add_chunk();
  }
  ++next_fresh_;
  std::size_t stride = std::size_t{1} << stride_shift_;
  std::fill_n(entries(table), stride, Pte{0});
  std::fill_n(&link(loc(table, 0)), stride, RmapLink{});
  return table;
}

void TablePool::table_get(TableId table) {
  if (refcount_[table] == 0) panic("table_get", "table is free", "table", table);
  ++refcount_[table];
}

std::uint32_t TablePool::table_put(TableId table) {
  if (refcount_[table] == 0) panic("table_put", "refcount underflow", "table", table);
  return --refcount_[table];
}

void TablePool::table_free(TableId table) {
  if (refcount_[table] != 0) panic("table_free", "table is still referenced", "table", table);
  free_.push_back(table);
}

}  // namespace cow::fast
