// The model's page-table entry and the only code that changes its bits.
#pragma once

#include "spec/types.h"

namespace cow::model {

struct Pte {
  bool present = false;
  bool writable = false;
  bool cow = false;        // software bit: read-only only because the frame may be shared
  bool exclusive = false;  // a private page known to be this PTE's alone (PageAnonExclusive)
  Pfn frame = kNoFrame;
  Slot slot = kNoSlot;     // a swap PTE: not present, the data is in this slot
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

}  // namespace cow::model
