// Physical frames: contents, refcounts and a free list. A frame is free
// exactly when its refcount is 0.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "spec/types.h"

namespace cow::model {

// Freed frames are filled with this, so a use after free shows as a value
// no program ever wrote (the generators only write small values).
inline constexpr Value kPoison = 0xdeadbeef;
inline constexpr PageData kPoisonPage = {kPoison, kPoison, kPoison, kPoison};

class FrameTable {
 public:
  explicit FrameTable(std::uint32_t frames);

  // Takes the lowest-numbered free frame with refcount 1; nullopt when none.
  std::optional<Pfn> frame_alloc();
  // Adds a reference to a frame in use.
  void frame_get(Pfn frame);
  // Drops a reference; the last one frees and poisons the frame.
  void frame_put(Pfn frame);

  std::uint32_t refcount(Pfn frame) const { return refcount_.at(frame); }
  const PageData& contents(Pfn frame) const { return contents_.at(frame); }
  void set_contents(Pfn frame, const PageData& data) { contents_.at(frame) = data; }
  void set_word(Pfn frame, std::uint32_t word, Value value) {
    contents_.at(frame).at(word) = value;
  }
  std::uint32_t free_count() const { return static_cast<std::uint32_t>(free_.size()); }
  std::uint32_t size() const { return static_cast<std::uint32_t>(refcount_.size()); }

 private:
  std::vector<std::uint32_t> refcount_;
  std::vector<PageData> contents_;
  std::vector<Pfn> free_;  // in no order: frame_alloc takes the lowest

 public:
  // The exhaustive search of interleavings merges equal states.
  friend bool operator==(const FrameTable&, const FrameTable&) = default;
};

}  // namespace cow::model
