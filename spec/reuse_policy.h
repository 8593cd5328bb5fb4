// The reuse policy as the invariants judge it: may a write fault on a
// private, copy-on-write page keep its frame? docs/mechanism.md,
// "The reuse policy". `maps` counts the present PTEs on the frame,
// `refcount` adds the pins.
#pragma once

#include <cstdint>

#include "spec/types.h"

namespace cow {

inline bool policy_reuses(ReusePolicy policy, bool exclusive, std::uint32_t maps,
                          std::uint32_t refcount) {
  switch (policy) {
    case ReusePolicy::MapCount:
      return maps == 1;
    case ReusePolicy::PageCount:
      return refcount == 1;
    case ReusePolicy::Exclusive:
      return exclusive || refcount == 1;
  }
  return false;
}

}  // namespace cow
