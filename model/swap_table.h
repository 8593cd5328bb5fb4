// Swap slots: where an evicted anonymous page's contents wait, with a
// refcount of the swap PTEs that name the slot.
#pragma once

#include <cstdint>
#include <map>

#include "spec/types.h"

namespace cow::model {

class SwapTable {
 public:
  // The lowest free slot, holding `data`, with no references yet.
  Slot slot_alloc(const PageData& data);
  void slot_get(Slot slot);
  // Drops a reference; the last one frees the slot.
  void slot_put(Slot slot);

  const PageData& contents(Slot slot) const { return slots_.at(slot).data; }
  std::uint32_t refcount(Slot slot) const { return slots_.at(slot).refcount; }
  const auto& slots() const { return slots_; }

 private:
  struct Entry {
    PageData data{};
    std::uint32_t refcount = 0;
    friend bool operator==(const Entry&, const Entry&) = default;
  };
  std::map<Slot, Entry> slots_;

 public:
  friend bool operator==(const SwapTable&, const SwapTable&) = default;
};

}  // namespace cow::model
