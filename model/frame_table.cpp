#include "model/frame_table.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "spec/panic.h"

namespace cow::model {

FrameTable::FrameTable(std::uint32_t frames)
    : refcount_(frames, 0), contents_(frames, kPoisonPage) {
  free_.reserve(frames);
  for (Pfn f = frames; f-- > 0;) free_.push_back(f);
}

std::optional<Pfn> FrameTable::frame_alloc() {
  if (free_.empty()) return std::nullopt;
  // Lowest first keeps frame numbers, and so counterexamples, predictable.
  auto lowest = std::min_element(free_.begin(), free_.end());
  Pfn frame = *lowest;
  free_.erase(lowest);
  refcount_[frame] = 1;
  return frame;
}

void FrameTable::frame_get(Pfn frame) {
  if (refcount_.at(frame) == 0) panic("frame_get", "frame is free", "frame", frame);
  ++refcount_[frame];
}

void FrameTable::frame_put(Pfn frame) {
  if (refcount_.at(frame) == 0) panic("frame_put", "refcount underflow", "frame", frame);
  if (--refcount_[frame] != 0) return;
  contents_[frame] = kPoisonPage;
  free_.push_back(frame);
}

}  // namespace cow::model
