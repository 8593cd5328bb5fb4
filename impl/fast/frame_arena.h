// Physical memory of the fast implementation: an arena of real frames (a COW
// copy moves a whole page), a flat refcount array and a free list. A page's
// words (spec PageData) live at the start of its frame.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "spec/panic.h"
#include "spec/types.h"

namespace cow::fast {

// Freed frames get this in every word, so a use after free reads a value no
// program wrote (the spec prints it as "poison").
inline constexpr Value kFramePoison = 0xdeadbeef;

class FrameArena {
 public:
  // `frames` frames of `frame_size` bytes, all free, their contents unset.
  FrameArena(std::uint32_t frames, std::size_t frame_size);
  ~FrameArena();
  FrameArena(const FrameArena& other);
  FrameArena& operator=(const FrameArena&) = delete;

  // Takes the lowest free frame with refcount 1, in O(log frames); nullopt
  // when none is left. Lowest first, as the mechanism says, so that frame
  // numbers follow the same order in every implementation.
  std::optional<Pfn> frame_alloc() {
    if (free_.empty()) return std::nullopt;
    std::pop_heap(free_.begin(), free_.end(), std::greater<Pfn>{});
    Pfn frame = free_.back();
    free_.pop_back();
    refcount_[frame] = 1;
    return frame;
  }
  // Adds a reference to a frame in use.
  void frame_get(Pfn frame) {
    if (refcount_[frame] == 0) panic("frame_get", "frame is free", "frame", frame);
    ++refcount_[frame];
  }
  // Drops a reference; the last one poisons the frame and frees it.
  void frame_put(Pfn frame) {
    if (refcount_[frame] == 0) panic("frame_put", "refcount underflow", "frame", frame);
    if (--refcount_[frame] == 0) frame_free(frame);
  }

  // The whole frame, as a COW copy must move it.
  void frame_copy(Pfn to, Pfn from) { std::memcpy(bytes(to), bytes(from), frame_size_); }
  // Sets every word of a frame in use to 0 (a fresh anonymous page).
  void frame_zero(Pfn frame) { std::memset(bytes(frame), 0, frame_size_); }
  // Sets only the words (spec PageData) to 0: all a caller that never
  // looks past them needs.
  void frame_zero_words(Pfn frame) { std::memset(bytes(frame), 0, sizeof(PageData)); }

  Value read_word(Pfn frame, std::uint32_t word) const {
    Value v;
    std::memcpy(&v, bytes(frame) + word * sizeof(Value), sizeof v);
    return v;
  }
  void write_word(Pfn frame, std::uint32_t word, Value value) {
    std::memcpy(bytes(frame) + word * sizeof(Value), &value, sizeof value);
  }
  PageData page_data(Pfn frame) const {
    PageData data;
    std::memcpy(data.data(), bytes(frame), sizeof data);
    return data;
  }

  // The raw frame, for tests and benchmarks that look past the words.
  std::span<std::byte> frame_bytes(Pfn frame) { return {bytes(frame), frame_size_}; }

  std::uint32_t refcount(Pfn frame) const { return refcount_[frame]; }
  std::uint32_t free_count() const { return static_cast<std::uint32_t>(free_.size()); }
  std::uint32_t size() const { return static_cast<std::uint32_t>(refcount_.size()); }
  std::size_t frame_size() const { return frame_size_; }
  // Whether the arena came zero-filled from the host (no frame_zero needed).
  bool zero_filled() const { return mapped_; }

 private:
  std::byte* bytes(Pfn frame) { return base_ + std::size_t{frame} * frame_size_; }
  const std::byte* bytes(Pfn frame) const { return base_ + std::size_t{frame} * frame_size_; }
  void frame_free(Pfn frame);
  void frame_copy_from(const FrameArena& other, Pfn frame);
  void allocate();

  std::size_t frame_size_;
  std::byte* base_ = nullptr;
  bool mapped_ = false;  // large arenas come from mmap, small ones from the heap
  std::vector<std::uint32_t> refcount_;
  std::vector<Pfn> free_;  // a min-heap: the lowest free frame on top
};

}  // namespace cow::fast
