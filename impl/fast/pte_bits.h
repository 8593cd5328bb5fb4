// The fast implementation's page-table entry: one 64-bit word laid out as on
// x86-64. This header is the only code that knows where the bits are;
// everything else calls these functions.
//
//   bit 0      present
//   bit 1      writable
//   bit 9      cow (a software bit: read-only only because the frame may be shared)
//   bit 10     exclusive (a software bit: the page is known to be its mapper's alone)
//   bit 11     swap (not present: the page is in the swap slot the number field names)
//   bits 12-51 number: a data frame in a present leaf entry, a table in an upper-level
//              entry, a swap slot in a swap entry, the object (0: the file) in a
//              not-present entry of a shared-anon mapping
//   bits 52-54 mapping kind, coded so that 0 is private anon: an all-zero entry (and a
//              missing table) is an untouched private anonymous page, which is what a
//              fresh address space is made of, so exec costs one empty root table
//   bit 55     forced copy (a software bit): a text page's private anonymous copy, which a
//              forced write (/proc/PID/mem) made; read-only as its mapping, but
//              copy-on-write across fork like a private page
#pragma once

#include <cstdint>

#include "spec/types.h"

namespace cow::fast {

using Pte = std::uint64_t;

inline constexpr Pte kPtePresent = Pte{1} << 0;
inline constexpr Pte kPteWritable = Pte{1} << 1;
inline constexpr Pte kPteCow = Pte{1} << 9;
inline constexpr Pte kPteExclusive = Pte{1} << 10;
inline constexpr Pte kPteSwap = Pte{1} << 11;
inline constexpr unsigned kPteFrameShift = 12;
inline constexpr unsigned kPteFrameBits = 40;
inline constexpr Pte kPteFrameMask = ((Pte{1} << kPteFrameBits) - 1) << kPteFrameShift;
inline constexpr unsigned kPteKindShift = 52;
inline constexpr Pte kPteKindMask = Pte{7} << kPteKindShift;
inline constexpr Pte kPteForcedCopy = Pte{1} << 55;

constexpr bool pte_present(Pte pte) { return (pte & kPtePresent) != 0; }
constexpr bool pte_writable(Pte pte) { return (pte & kPteWritable) != 0; }
constexpr bool pte_cow(Pte pte) { return (pte & kPteCow) != 0; }
constexpr bool pte_exclusive(Pte pte) { return (pte & kPteExclusive) != 0; }
constexpr bool pte_swap(Pte pte) { return (pte & kPteSwap) != 0; }
constexpr bool pte_forced_copy(Pte pte) { return (pte & kPteForcedCopy) != 0; }
constexpr std::uint32_t pte_frame(Pte pte) {
  return static_cast<std::uint32_t>((pte & kPteFrameMask) >> kPteFrameShift);
}
constexpr Slot pte_slot(Pte pte) { return pte_frame(pte); }
constexpr std::uint32_t pte_object(Pte pte) { return pte_frame(pte); }

// The kind is stored XOR private anon, so that private anon codes as 0.
constexpr MapKind pte_kind(Pte pte) {
  return static_cast<MapKind>(((pte & kPteKindMask) >> kPteKindShift) ^
                              static_cast<Pte>(MapKind::PrivateAnon));
}
constexpr Pte pte_kind_bits(MapKind kind) {
  return (static_cast<Pte>(kind) ^ static_cast<Pte>(MapKind::PrivateAnon)) << kPteKindShift;
}

// A present leaf entry for a private anonymous page its process owns and may
// write (the first process's pages, a zero-filled page).
constexpr Pte pte_make_page(std::uint32_t frame) {
  return (Pte{frame} << kPteFrameShift) | kPtePresent | kPteWritable | kPteExclusive;
}

// A not-present entry of `kind` with nothing behind it yet; `object` names
// the shared-anon object it maps (the file is object 0 and is not stored).
constexpr Pte pte_make_unmapped(MapKind kind, std::uint32_t object = 0) {
  return pte_kind_bits(kind) | (Pte{object} << kPteFrameShift);
}

// A present entry of `kind` on `frame` with the given permissions.
constexpr Pte pte_make_present(MapKind kind, std::uint32_t frame, bool writable, bool cow,
                               bool exclusive) {
  return pte_kind_bits(kind) | (Pte{frame} << kPteFrameShift) | kPtePresent |
         (writable ? kPteWritable : 0) | (cow ? kPteCow : 0) | (exclusive ? kPteExclusive : 0);
}

// A present upper-level entry for a table its process owns alone.
constexpr Pte pte_make_table(std::uint32_t table) {
  return (Pte{table} << kPteFrameShift) | kPtePresent | kPteWritable;
}

// The same entry pointing at another frame (or table, slot), flags kept.
constexpr Pte pte_with_frame(Pte pte, std::uint32_t frame) {
  return (pte & ~kPteFrameMask) | (Pte{frame} << kPteFrameShift);
}

// A present page swapped out to `slot`: not present, its kind and its
// writable/cow/exclusive bits kept for the swap-in.
constexpr Pte pte_to_swap(Pte pte, Slot slot) {
  return (pte_with_frame(pte, slot) & ~kPtePresent) | kPteSwap;
}
// A swap entry present again on `frame`, with the bits it had.
constexpr Pte pte_from_swap(Pte pte, std::uint32_t frame) {
  return (pte_with_frame(pte, frame) & ~kPteSwap) | kPtePresent;
}

// Makes a private page copy-on-write: the next write faults and is served
// by copy or reuse, never by writing a frame someone else can see.
constexpr Pte pte_write_protect(Pte pte) {
  if (pte_writable(pte)) pte |= kPteCow;
  return pte & ~kPteWritable;
}

// The page is now its writer's alone (what Linux's wp_page_reuse and
// wp_page_copy leave behind): writable, not cow, exclusive.
constexpr Pte pte_make_writable(Pte pte) { return (pte | kPteWritable | kPteExclusive) & ~kPteCow; }

// A forced write's private copy of a text page: the writer's alone, and as
// read-only as its mapping (not writable, not cow), so only another forced
// write or a read-only pin's unshare breaks it again.
constexpr Pte pte_make_forced_copy(MapKind kind, std::uint32_t frame) {
  return pte_make_present(kind, frame, false, false, true) | kPteForcedCopy;
}

// Whether fork shares the entry's page copy-on-write: a private page, or a
// text page's forced copy; a shared page or the file's text stays one page.
constexpr bool pte_fork_shares_cow(Pte pte) {
  return is_private(pte_kind(pte)) || pte_forced_copy(pte);
}

// What fork does to an entry on both sides: a page fork shares copy-on-write
// that has data (present or swapped) becomes copy-on-write (a forced copy
// stays read-only and not cow) and no longer exclusive; shared, text and
// not-yet-touched entries are copied as they are.
constexpr Pte pte_fork_protect(Pte pte) {
  if (!pte_fork_shares_cow(pte) || !(pte_present(pte) || pte_swap(pte))) return pte;
  return pte_write_protect(pte) & ~kPteExclusive;
}

// An upper-level entry through which no private page may be written,
// whatever the leaf entries below say: how a shared leaf table is
// write-protected in one store instead of 512 (see pte_effective).
constexpr Pte pte_table_write_protect(Pte pte) { return pte & ~kPteWritable; }

}  // namespace cow::fast
