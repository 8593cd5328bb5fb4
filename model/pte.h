// The model's page-table entry and the only code that changes its bits.
#pragma once

#include "spec/types.h"

namespace cow::model {

struct Pte {
  bool present = false;
  bool writable = false;
  bool cow = false;  // software bit: read-only only because the frame may be shared
  Pfn frame = kNoFrame;
};

// Makes a private page copy-on-write: the next write faults and is served
// by copy or reuse, never by writing a frame someone else can see.
inline void pte_write_protect(Pte& pte) {
  if (pte.writable) pte.cow = true;
  pte.writable = false;
}

// The page is now its writer's alone.
inline void pte_make_writable(Pte& pte) {
  pte.writable = true;
  pte.cow = false;
}

}  // namespace cow::model
