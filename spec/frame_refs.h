// How many present PTEs and pins name each frame of a snapshot: what WP and
// RC count against, computed once per check without a node per frame.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "spec/snapshot.h"

namespace cow {

class FrameRefs {
 public:
  explicit FrameRefs(const Snapshot& snap);

  std::uint32_t maps(Pfn frame) const { return get(maps_, far_maps_, frame); }
  std::uint32_t pins(Pfn frame) const { return get(pins_, far_pins_, frame); }
  // Every frame some PTE or pin names, each once, in order of first naming.
  const std::vector<Pfn>& named() const { return named_; }

 private:
  using Far = std::map<Pfn, std::uint32_t>;
  static std::uint32_t get(const std::vector<std::uint32_t>& near, const Far& far, Pfn frame) {
    if (frame < near.size()) return near[frame];
    auto it = far.find(frame);
    return it == far.end() ? 0 : it->second;
  }
  void add(std::vector<std::uint32_t>& near, Far& far, Pfn frame);

  // Frames below the machine's size are counted in place; a frame number an
  // implementation made up past it (already a violation) goes to `far`.
  std::vector<std::uint32_t> maps_, pins_;
  Far far_maps_, far_pins_;
  std::vector<Pfn> named_;
};

}  // namespace cow
