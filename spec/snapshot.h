// A white-box view of an implementation's state: every page of every
// address space, every frame and swap slot in use, and every pin. Frame and
// slot numbers are the implementation's own; canonicalize() renames them so
// that two implementations can be compared.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "spec/types.h"

namespace cow {

// A live process, and whose address space it runs in: its own, or (a vfork
// child) its parent's until it execs or exits.
struct ProcView {
  Pid pid = 0;
  Pid space = 0;           // the pid whose page table this process uses
  bool suspended = false;  // stopped in vfork

  friend bool operator==(const ProcView&, const ProcView&) = default;
};

// One virtual page: its mapping kind, and where its data is: a present
// frame, a swap slot, or nowhere yet (untouched, or in its file/object).
struct PteView {
  Pid pid = 0;
  Vpn vpn = 0;
  MapKind kind = MapKind::PrivateAnon;
  bool present = false;
  bool writable = false;
  bool cow = false;        // read-only only because the frame may be shared
  bool exclusive = false;  // a private anon page known to be its mapper's alone
  Pfn frame = kNoFrame;
  Slot slot = kNoSlot;  // set when the page is swapped out

  friend bool operator==(const PteView&, const PteView&) = default;
};

struct FrameView {
  Pfn frame = 0;
  std::uint32_t refcount = 0;  // PTEs that map it plus pins that hold it
  PageData contents{};
  bool cache = false;  // a page of the file or a shared object, not anonymous memory

  friend bool operator==(const FrameView&, const FrameView&) = default;
};

struct SlotView {
  Slot slot = 0;
  std::uint32_t refcount = 0;  // swap PTEs that name it
  PageData contents{};

  friend bool operator==(const SlotView&, const SlotView&) = default;
};

struct PinView {
  PinId id = 0;
  Pfn frame = kNoFrame;
  bool rw = false;

  friend bool operator==(const PinView&, const PinView&) = default;
};

// `procs` is sorted by pid. `ptes` is sorted by (pid, vpn) and holds one
// entry per vpn of every process that owns its space (unmapped ones with
// kind None). `frames` holds every frame whose refcount is non-zero or that
// a PTE or pin names, sorted by frame; `slots` likewise; `pins` by id.
struct Snapshot {
  std::vector<ProcView> procs;
  std::vector<PteView> ptes;
  std::vector<FrameView> frames;
  std::vector<SlotView> slots;
  std::vector<PinView> pins;
  std::uint32_t free_frames = 0;
  std::uint32_t total_frames = 0;

  const PteView* find_pte(Pid pid, Vpn vpn) const;
  const FrameView* find_frame(Pfn frame) const;
  const SlotView* find_slot(Slot slot) const;
  std::uint32_t refcount(Pfn frame) const;  // 0 for a frame not listed

  friend bool operator==(const Snapshot&, const Snapshot&) = default;
};

// Renames frames in order of first appearance (PTEs in (pid, vpn) order,
// then pins, then unmapped frames in use in their old order), slots the
// same way, and re-sorts. Two states that differ only in which frames and
// slots were picked become equal.
Snapshot canonicalize(const Snapshot& snapshot);

// "[7 0 0 0]"; a word of 0xdeadbeef (freed-frame poison) shows as "poison".
std::string to_string(const PageData& data);

// A multi-line table: one line per mapped PTE, then one per frame, slot and pin.
std::string to_string(const Snapshot& snapshot);

}  // namespace cow
