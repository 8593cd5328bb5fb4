// The frames of the concurrent fast implementation: words that threads read
// and write at once (atomics: a store through one task's translation and a
// load through another's race as they do on hardware, without undefined
// behaviour), an atomic refcount per frame, and a free list behind its own
// lock, the zone lock, taken last and held for a push or a pop only.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "spec/types.h"

namespace cow::fast {

class MtFrames {
 public:
  explicit MtFrames(std::uint32_t frames)
      : words_(std::size_t{frames} * kMaxWords), refcounts_(frames) {
    free_.reserve(frames);
    for (Pfn f = frames; f > 0; --f) free_.push_back(f - 1);  // the lowest is taken first
  }

  std::uint32_t size() const { return static_cast<std::uint32_t>(refcounts_.size()); }

  // A free frame with refcount 1, or nullopt when none is free.
  std::optional<Pfn> alloc() {
    std::lock_guard zone(zone_lock_);
    if (free_.empty()) return std::nullopt;
    Pfn frame = free_.back();
    free_.pop_back();
    refcounts_[frame].store(1, std::memory_order_relaxed);
    return frame;
  }
  void get(Pfn frame) { refcounts_[frame].fetch_add(1, std::memory_order_relaxed); }
  // Drops one reference; the last returns the frame to the free list. The
  // acquire-release pair orders every access made through the dropped
  // references before the frame's next owner writes it.
  void put(Pfn frame) {
    if (refcounts_[frame].fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    std::lock_guard zone(zone_lock_);
    free_.push_back(frame);
  }
  std::uint32_t refcount(Pfn frame) const {
    return refcounts_[frame].load(std::memory_order_acquire);
  }
  std::uint32_t free_count() const {
    std::lock_guard zone(zone_lock_);
    return static_cast<std::uint32_t>(free_.size());
  }

  Value load(Pfn frame, std::uint32_t word) const {
    return words_[index(frame, word)].load(std::memory_order_acquire);
  }
  void store(Pfn frame, std::uint32_t word, Value value) {
    words_[index(frame, word)].store(value, std::memory_order_release);
  }
  void zero(Pfn frame) {
    for (std::uint32_t w = 0; w < kMaxWords; ++w) store(frame, w, 0);
  }
  void copy(Pfn to, Pfn from) {
    for (std::uint32_t w = 0; w < kMaxWords; ++w) store(to, w, load(from, w));
  }
  PageData contents(Pfn frame) const {
    PageData data{};
    for (std::uint32_t w = 0; w < kMaxWords; ++w) data[w] = load(frame, w);
    return data;
  }

 private:
  static std::size_t index(Pfn frame, std::uint32_t word) {
    return std::size_t{frame} * kMaxWords + word;
  }

  std::vector<std::atomic<Value>> words_;
  std::vector<std::atomic<std::uint32_t>> refcounts_;
  mutable std::mutex zone_lock_;
  std::vector<Pfn> free_;
};

}  // namespace cow::fast
