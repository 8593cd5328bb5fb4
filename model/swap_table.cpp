#include "model/swap_table.h"

#include <stdexcept>
#include <string>

#include "spec/panic.h"

namespace cow::model {

Slot SwapTable::slot_alloc(const PageData& data) {
  Slot slot = 0;
  for (const auto& [used, entry] : slots_) {
    if (used != slot) break;
    ++slot;
  }
  slots_[slot] = Entry{data, 0};
  return slot;
}

void SwapTable::slot_get(Slot slot) { ++slots_.at(slot).refcount; }

void SwapTable::slot_put(Slot slot) {
  Entry& entry = slots_.at(slot);
  if (entry.refcount == 0) panic("slot_put", "refcount underflow", "slot", slot);
  if (--entry.refcount == 0) slots_.erase(slot);
}

}  // namespace cow::model
