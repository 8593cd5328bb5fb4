// A white-box view of an implementation's state: every live PTE and every
// frame in use. Frame numbers are the implementation's own; canonicalize()
// renames them so that two implementations can be compared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spec/types.h"

namespace cow {

struct PteView {
  Pid pid = 0;
  Vpn vpn = 0;
  bool present = false;
  bool writable = false;
  bool cow = false;
  Pfn frame = kNoFrame;

  friend bool operator==(const PteView&, const PteView&) = default;
};

struct FrameView {
  Pfn frame = 0;
  std::uint32_t refcount = 0;
  PageData contents{};

  friend bool operator==(const FrameView&, const FrameView&) = default;
};

// `ptes` is sorted by (pid, vpn) and holds one entry per page of every live
// process; `frames` holds every frame whose refcount is non-zero or that a
// PTE maps, sorted by frame; `free_frames` is the length of the free list.
struct Snapshot {
  std::vector<PteView> ptes;
  std::vector<FrameView> frames;
  std::uint32_t free_frames = 0;
  std::uint32_t total_frames = 0;

  const PteView* find_pte(Pid pid, Vpn vpn) const;
  const FrameView* find_frame(Pfn frame) const;
  std::uint32_t refcount(Pfn frame) const;  // 0 for a frame not listed

  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// Renames frames in order of first appearance (PTEs in (pid, vpn) order,
// then unmapped frames in use in their old order) and re-sorts. Two states
// that differ only in which frames were picked become equal.
Snapshot canonicalize(const Snapshot& snapshot);

// "[7 0 0 0]"; a word of 0xdeadbeef (freed-frame poison) shows as "poison".
std::string to_string(const PageData& data);

// A multi-line table: one line per PTE, then one per frame.
std::string to_string(const Snapshot& snapshot);

}  // namespace cow
