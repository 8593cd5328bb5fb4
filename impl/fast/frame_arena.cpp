#include "impl/fast/frame_arena.h"

#include <new>
#include <stdexcept>
#include <string>
#include <utility>

#include <sys/mman.h>

namespace cow::fast {

namespace {

// Below this the heap is faster than a fresh mapping (the differential
// engine builds thousands of small machines a second); above it the host's
// zero-filled, lazily backed pages make a 1 GiB arena free until touched.
constexpr std::size_t kMapThreshold = std::size_t{1} << 20;

// The last small arena freed on this thread, kept for the next one of the
// same size: the differential engine builds and drops a machine per run,
// and a fresh 64 KiB block from the heap costs more than the whole run's
// faults. Its contents are as unset as a fresh block's.
struct SpareArena {
  std::byte* base = nullptr;
  std::size_t bytes = 0;
  ~SpareArena() { ::operator delete(base); }
};
thread_local SpareArena spare;

std::byte* heap_take(std::size_t bytes) {
  if (spare.base && spare.bytes == bytes) return std::exchange(spare.base, nullptr);
  return static_cast<std::byte*>(::operator new(bytes));
}

void heap_give(std::byte* base, std::size_t bytes) {
  ::operator delete(spare.base);
  spare.base = base;
  spare.bytes = bytes;
}

}  // namespace

FrameArena::FrameArena(std::uint32_t frames, std::size_t frame_size)
    : frame_size_(frame_size), refcount_(frames, 0) {
  allocate();
  free_.reserve(frames);
  // Ascending order is already a min-heap.
  for (Pfn f = 0; f < frames; ++f) free_.push_back(f);
}

FrameArena::FrameArena(const FrameArena& other)
    : frame_size_(other.frame_size_), refcount_(other.refcount_), free_(other.free_) {
  allocate();
  for (Pfn f = 0; f < size(); ++f)
    if (refcount_[f] != 0) frame_copy_from(other, f);
}

void FrameArena::frame_copy_from(const FrameArena& other, Pfn frame) {
  std::memcpy(bytes(frame), other.bytes(frame), frame_size_);
}

void FrameArena::allocate() {
  std::size_t bytes = std::size_t{size()} * frame_size_;
  if (bytes == 0) return;
  if (bytes >= kMapThreshold) {
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    base_ = static_cast<std::byte*>(p);
    mapped_ = true;
  } else {
    // The plain heap: an aligned allocation costs the allocator more than
    // a small machine spends on its frames.
    base_ = heap_take(bytes);
  }
}

FrameArena::~FrameArena() {
  if (!base_) return;
  if (mapped_)
    ::munmap(base_, std::size_t{size()} * frame_size_);
  else
    heap_give(base_, std::size_t{size()} * frame_size_);
}

void FrameArena::frame_free(Pfn frame) {
  // Only the words are observable; poisoning them is what makes a read
  // through a stale mapping visible, without paying for 4 KiB of stores.
  for (std::uint32_t w = 0; w < kMaxWords; ++w) write_word(frame, w, kFramePoison);
  free_.push_back(frame);
  std::push_heap(free_.begin(), free_.end(), std::greater<Pfn>{});
}

}  // namespace cow::fast
