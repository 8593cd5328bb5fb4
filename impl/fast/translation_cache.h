// A per-process translation cache (a software TLB): vpn -> frame and whether
// a write may go straight to it. Performance only, as Spike's TLBs are: with
// it off, or flushed at any moment, every result is the same, only slower.
// Whoever changes a PTE that a cached translation came from must flush it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "spec/types.h"

namespace cow::fast {

class TranslationCache {
 public:
  struct Entry {
    Vpn vpn = kNoVpn;
    Pfn frame = kNoFrame;
    bool writable = false;
  };

  // The cached translation of `vpn`, or null on a miss.
  const Entry* lookup(Vpn vpn) const {
    const Entry& e = slots_[slot(vpn)];
    return e.vpn == vpn ? &e : nullptr;
  }
  void fill(Vpn vpn, Pfn frame, bool writable) { slots_[slot(vpn)] = {vpn, frame, writable}; }
  void flush_page(Vpn vpn) {
    Entry& e = slots_[slot(vpn)];
    if (e.vpn == vpn) e = Entry{};
  }
  void flush_all() { slots_.fill(Entry{}); }

 private:
  static constexpr Vpn kNoVpn = ~Vpn{0};
  static constexpr std::uint32_t kSlots = 64;  // direct-mapped
  static std::uint32_t slot(Vpn vpn) { return vpn % kSlots; }

  std::array<Entry, kSlots> slots_{};
};

}  // namespace cow::fast
