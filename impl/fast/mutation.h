// The seeded bugs of the fast implementation. Each is one switch that turns
// one line of the correct code wrong at the place the bug would live, so the
// correct path stays the one a reader sees (grep for mutated(...)).
#pragma once

#include <cstdint>
#include <string_view>

namespace cow::fast {

enum class Mutation : std::uint8_t {
  None,
  // table_unshare copies a shared leaf table without raising the refcounts of
  // the frames it maps: the copy's frames are freed while the other still maps them.
  UnshareNoRefcount,
  // wp_copy moves the writer to a new frame but leaves the old translation
  // in its cache: its next read sees the shared frame, not its own write.
  StaleTlb,
  // The level-1 index shift is one bit short (vpn >> 8, not >> 9): the walk
  // puts vpns 256..511 in a second leaf table that fork and exit, which
  // visit tables by range, never reach.
  IndexShift,
  // exit drops the frames of a leaf table it still shares with another
  // process, as if it were the table's last user.
  FreeSharedTable,
  // swapout moves only the evicting PTE to the swap slot instead of every
  // PTE the reverse map lists: the other mappers keep the frame, which is
  // no longer freed, and the page is no longer one page shared by all.
  SwapoutOnePte,
};

}  // namespace cow::fast
