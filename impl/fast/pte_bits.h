// The fast implementation's page-table entry: one 64-bit word laid out as on
// x86-64. This header is the only code that knows where the bits are;
// everything else calls these functions.
//
//   bit 0      present
//   bit 1      writable
//   bit 9      cow (a software bit: read-only only because the frame may be shared)
//   bits 12-51 frame: a data frame in a leaf entry, a table in an upper-level entry
#pragma once

#include <cstdint>

namespace cow::fast {

using Pte = std::uint64_t;

inline constexpr Pte kPtePresent = Pte{1} << 0;
inline constexpr Pte kPteWritable = Pte{1} << 1;
inline constexpr Pte kPteCow = Pte{1} << 9;
inline constexpr unsigned kPteFrameShift = 12;
inline constexpr unsigned kPteFrameBits = 40;
inline constexpr Pte kPteFrameMask = ((Pte{1} << kPteFrameBits) - 1) << kPteFrameShift;

constexpr bool pte_present(Pte pte) { return (pte & kPtePresent) != 0; }
constexpr bool pte_writable(Pte pte) { return (pte & kPteWritable) != 0; }
constexpr bool pte_cow(Pte pte) { return (pte & kPteCow) != 0; }
constexpr std::uint32_t pte_frame(Pte pte) {
  return static_cast<std::uint32_t>((pte & kPteFrameMask) >> kPteFrameShift);
}

// A present leaf entry for a private page its process may write.
constexpr Pte pte_make_page(std::uint32_t frame) {
  return (Pte{frame} << kPteFrameShift) | kPtePresent | kPteWritable;
}

// A present upper-level entry for a table its process owns alone.
constexpr Pte pte_make_table(std::uint32_t table) {
  return (Pte{table} << kPteFrameShift) | kPtePresent | kPteWritable;
}

// The same entry pointing at another frame (or table), flags kept.
constexpr Pte pte_with_frame(Pte pte, std::uint32_t frame) {
  return (pte & ~kPteFrameMask) | (Pte{frame} << kPteFrameShift);
}

// Makes a private page copy-on-write: the next write faults and is served
// by copy or reuse, never by writing a frame someone else can see.
constexpr Pte pte_write_protect(Pte pte) {
  if (pte_writable(pte)) pte |= kPteCow;
  return pte & ~kPteWritable;
}

// The page is now its writer's alone.
constexpr Pte pte_make_writable(Pte pte) { return (pte | kPteWritable) & ~kPteCow; }

// An upper-level entry through which no page may be written, whatever the
// leaf entries below say: how a shared leaf table is write-protected in one
// store instead of 512 (the hardware ANDs the writable bits of every level).
constexpr Pte pte_table_write_protect(Pte pte) { return pte & ~kPteWritable; }

}  // namespace cow::fast
