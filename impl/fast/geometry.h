// The shape of the fast implementation's machine as data, not constants
// scattered in code (Spike's vm_info): how many levels the radix page table
// has, how many vpn bits index each level, how big a page is, how many data
// frames there are. Every walk, fork and exit reads it from here.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>

#include "spec/types.h"

namespace cow::fast {

inline constexpr std::uint32_t kMaxLevels = 5;

struct Geometry {
  std::uint32_t levels = 4;       // level levels-1 is the root, level 0 holds leaf PTEs
  std::uint32_t index_bits = 9;   // 512 entries a table
  std::uint32_t page_shift = 12;  // 4 KiB pages; a table of 512 8-byte PTEs is one page too
  std::uint32_t frames = 0;       // data frames in the arena (page tables are not counted)
  // shift[level]: how far a vpn moves right to index a level-`level` table.
  // Derived from index_bits by radix(); kept as data so that one number is
  // the whole difference between a correct geometry and a broken one.
  std::array<std::uint32_t, kMaxLevels> shift{};

  // The x86-64 shape with `frames` data frames: 4 levels of 512 entries.
  static constexpr Geometry radix(std::uint32_t frames, std::uint32_t levels = 4,
                                  std::uint32_t index_bits = 9, std::uint32_t page_shift = 12) {
    Geometry g{levels, index_bits, page_shift, frames, {}};
    for (std::uint32_t level = 0; level < kMaxLevels; ++level) g.shift[level] = level * index_bits;
    return g;
  }

  constexpr std::uint32_t entries() const { return std::uint32_t{1} << index_bits; }
  constexpr std::size_t page_size() const { return std::size_t{1} << page_shift; }
  constexpr std::uint32_t root_level() const { return levels - 1; }

  // Which entry of its level-`level` table translates `vpn`.
  constexpr std::uint32_t index(std::uint32_t level, Vpn vpn) const {
    return static_cast<std::uint32_t>((std::uint64_t{vpn} >> shift[level]) & (entries() - 1));
  }
  // The first vpn that entry `index` of a level-`level` table starting at
  // `base` translates.
  constexpr std::uint64_t entry_base(std::uint32_t level, std::uint64_t base,
                                     std::uint32_t index) const {
    return base + (std::uint64_t{index} << shift[level]);
  }
  // How many leading entries of a level-`level` table starting at `base`
  // can translate a vpn below `pages`: the only ones fork and exit visit.
  constexpr std::uint32_t entries_below(std::uint32_t level, std::uint64_t base,
                                        std::uint64_t pages) const {
    if (base >= pages) return 0;
    std::uint64_t span = std::uint64_t{1} << shift[level];
    return static_cast<std::uint32_t>(
        std::min<std::uint64_t>(entries(), (pages - base + span - 1) >> shift[level]));
  }
  // The first vpn of the leaf table that translates `vpn`.
  constexpr std::uint64_t leaf_table_base(Vpn vpn) const {
    return (std::uint64_t{vpn} >> shift[1]) << shift[1];
  }
  // The most pages an address space of this shape can translate.
  constexpr std::uint64_t max_pages() const {
    return std::uint64_t{1} << (shift[root_level()] + index_bits);
  }
};

}  // namespace cow::fast
