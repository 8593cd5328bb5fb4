#include "impl/fast/table_pool.h"

#include <algorithm>
#include <new>
#include <stdexcept>
#include <string>

namespace cow::fast {

namespace {

constexpr std::align_val_t kTableAlign{4096};

[[noreturn]] void panic(const char* function, const char* reason, TableId table) {
  throw std::logic_error(std::string(function) + ": " + reason + " (table " +
                         std::to_string(table) + ")");
}

}  // namespace

void TablePool::ChunkDelete::operator()(Pte* p) const { ::operator delete(p, kTableAlign); }

TablePool::TablePool(std::uint32_t entries) : entries_(entries) {}

TablePool::TablePool(const TablePool& other)
    : entries_(other.entries_), refcount_(other.refcount_), free_(other.free_) {
  std::size_t chunk_entries = std::size_t{kTablesPerChunk} * entries_;
  for (const Chunk& chunk : other.chunks_) {
    chunks_.push_back(new_chunk());
    std::copy_n(chunk.get(), chunk_entries, chunks_.back().get());
  }
  for (const auto& links : other.links_) {
    links_.push_back(std::make_unique<RmapLink[]>(chunk_entries));
    std::copy_n(links.get(), chunk_entries, links_.back().get());
  }
}

TablePool::Chunk TablePool::new_chunk() const {
  std::size_t count = std::size_t{kTablesPerChunk} * entries_;
  auto* p = static_cast<Pte*>(::operator new(count * sizeof(Pte), kTableAlign));
  std::fill_n(p, count, Pte{0});
  return Chunk(p);
}

TableId TablePool::table_alloc() {
  if (free_.empty()) {
    auto first = static_cast<TableId>(refcount_.size());
    // A Loc (table * entries + index) must fit in 32 bits.
    if ((std::uint64_t{first} + kTablesPerChunk) * entries_ >= kDetached)
      panic("table_alloc", "too many tables for a 32-bit reverse-map location", first);
    chunks_.push_back(new_chunk());
    links_.push_back(std::make_unique<RmapLink[]>(std::size_t{kTablesPerChunk} * entries_));
    refcount_.resize(refcount_.size() + kTablesPerChunk, 0);
    for (TableId t = first + kTablesPerChunk; t-- > first;) free_.push_back(t);
  }
  TableId table = free_.back();
  free_.pop_back();
  refcount_[table] = 1;
  return table;
}

void TablePool::table_get(TableId table) {
  if (refcount_[table] == 0) panic("table_get", "table is free", table);
  ++refcount_[table];
}

std::uint32_t TablePool::table_put(TableId table) {
  if (refcount_[table] == 0) panic("table_put", "refcount underflow", table);
  return --refcount_[table];
}

void TablePool::table_free(TableId table) {
  if (refcount_[table] != 0) panic("table_free", "table is still referenced", table);
  free_.push_back(table);
}

}  // namespace cow::fast
