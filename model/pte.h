// The model's page-table entry and the only code that changes its bits
// (a mutant whose bug is a wrong bit sets that bit itself).
#pragma once

#include "spec/types.h"

namespace cow::model {

struct Pte {
  bool present = false;
  bool writable = false;
  bool cow = false;        // software bit: read-only only because the frame may be shared
  bool exclusive = false;  // a private page known to be this PTE's alone (PageAnonExclusive)
  Pfn frame = kNoFrame;
  Slot slot = kNoSlot;  // a swap PTE: not present, the data is in this slot
  // pte_same(): a fault re-checks the PTE it decided on before it acts.
  friend bool operator==(const Pte&, const Pte&) = default;
};

// Makes a private page copy-on-write and shared: the next write faults and
// is served by copy or reuse, never by writing a frame someone else can see.
inline void pte_write_protect(Pte& pte) {
  if (pte.writable) pte.cow = true;
  pte.writable = false;
}

// Fork shares the page: neither side may assume it is the only one.
inline void pte_share(Pte& pte) {
  pte_write_protect(pte);
  pte.exclusive = false;
}

// The private page is now its writer's alone.
inline void pte_make_writable(Pte& pte) {
  pte.writable = true;
  pte.cow = false;
  pte.exclusive = true;
}

// A reuse found the page its writer's alone, and marks it so (a forced
// write's retry then follows it: can_follow_write_pte).
inline void pte_claim(Pte& pte) { pte.exclusive = true; }

// A page that is the PTE's alone from the start: a zero-fill, a COW copy,
// fork's early copy of a pinned page.
inline void pte_map_own(Pte& pte, Pfn frame) {
  pte.present = true;
  pte.frame = frame;
  pte.slot = kNoSlot;
  pte_make_writable(pte);
}

// A forced write's private copy of a read-only page (/proc/PID/mem on
// text): the writer's alone, and as read-only as its mapping.
inline void pte_map_forced_copy(Pte& pte, Pfn frame) {
  pte_map_own(pte, frame);
  pte.writable = false;
  pte.cow = false;
}

// A page of an object (a file or shared anon memory) mapped as the mapping
// kind says: shared kinds write through, a private file is copy-on-write.
inline void pte_map_object(Pte& pte, Pfn frame, bool writable, bool cow) {
  pte = Pte{};
  pte.present = true;
  pte.frame = frame;
  pte.writable = writable;
  pte.cow = cow;
}

// The data moved to a swap slot; the protection bits stay for the swap-in.
inline void pte_swap_out(Pte& pte, Slot slot) {
  pte.present = false;
  pte.frame = kNoFrame;
  pte.slot = slot;
}

inline void pte_swap_in(Pte& pte, Pfn frame) {
  pte.present = true;
  pte.frame = frame;
  pte.slot = kNoSlot;
}

// Nothing mapped: an untouched page.
inline void pte_clear(Pte& pte) { pte = Pte{}; }

}  // namespace cow::model
