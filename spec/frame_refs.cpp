#include "spec/frame_refs.h"

namespace cow {

FrameRefs::FrameRefs(const Snapshot& snap)
    : maps_(snap.total_frames, 0), pins_(snap.total_frames, 0) {
  for (const PteView& pte : snap.ptes)
    if (pte.present) add(maps_, far_maps_, pte.frame);
  for (const PinView& pin : snap.pins) add(pins_, far_pins_, pin.frame);
}

void FrameRefs::add(std::vector<std::uint32_t>& near, Far& far, Pfn frame) {
  if (maps(frame) == 0 && pins(frame) == 0) named_.push_back(frame);
  if (frame < near.size())
    ++near[frame];
  else
    ++far[frame];
}

}  // namespace cow
