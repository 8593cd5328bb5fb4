// RC: refcount correctness. Every reference (a PTE, a pin, a swap PTE) is
// counted once, every free frame is unreferenced, and the free list is
// exactly the frames not in use.
#include <map>

#include <fmt/format.h>

#include "spec/checks.h"
#include "spec/frame_refs.h"

namespace cow {

namespace {

Violation frame_violation(Pfn frame, std::string detail) {
  return Violation{InvariantId::RC, 0, std::nullopt, frame, std::move(detail)};
}

// Under eager paging a fork that found no frame for a page table half way
// may leave pages of its parent write-protected for COW: the same frame,
// read-only, cow set. The parent's next write reuses or copies as usual.
Snapshot without_fork_write_protect(const Step& s) {
  Snapshot after = *s.snap_after;
  Pid owner = s.after.live(s.op.pid) ? s.after.space_owner(s.op.pid) : s.op.pid;
  for (PteView& pte : after.ptes) {
    const PteView* was = s.snap_before->find_pte(pte.pid, pte.vpn);
    if (pte.pid != owner || !was || !was->present || !was->writable || !pte.present ||
        pte.frame != was->frame || pte.writable || !pte.cow)
      continue;
    pte.writable = was->writable;
    pte.cow = was->cow;
    pte.exclusive = was->exclusive;
  }
  return after;
}

// An out-of-memory answer (justified by check_choice) left everything as it was.
std::optional<Violation> check_oom(const Step& s) {
  if (s.actual.status != Status::OutOfMemory || !s.snap_before || !s.snap_after)
    return std::nullopt;
  bool eager_fork = s.op.kind == OpKind::Fork && s.after.config().paging == Paging::Eager;
  if (!(*s.snap_before == (eager_fork ? without_fork_write_protect(s) : *s.snap_after)))
    return Violation{
        InvariantId::RC, s.op.pid, std::nullopt, kNoFrame,
        fmt::format("{} reported out-of-memory but changed the state", to_string(s.op))};
  return std::nullopt;
}

std::optional<Violation> check_frames(const Snapshot& snap) {
  FrameRefs refs(snap);
  for (Pfn frame : refs.named())
    if (snap.refcount(frame) == 0)
      return frame_violation(frame, fmt::format("frame is free but {} PTEs and {} pins name it",
                                                refs.maps(frame), refs.pins(frame)));
  std::uint32_t in_use = 0;
  for (const FrameView& f : snap.frames) {
    std::uint32_t m = refs.maps(f.frame);
    std::uint32_t p = refs.pins(f.frame);
    if (f.refcount != m + p)
      return frame_violation(
          f.frame, fmt::format("refcount is {} but {} PTEs of live processes map it and {} pins "
                               "hold it{}",
                               f.refcount, m, p, m + p == 0 ? " (leaked)" : ""));
    if (f.refcount != 0) ++in_use;
  }
  if (in_use + snap.free_frames != snap.total_frames)
    return frame_violation(kNoFrame, fmt::format("{} frames in use and {} free, of {}", in_use,
                                                 snap.free_frames, snap.total_frames));
  return std::nullopt;
}

std::optional<Violation> check_slots(const Snapshot& snap) {
  std::map<Slot, std::uint32_t> refs;
  for (const PteView& pte : snap.ptes)
    if (pte.slot != kNoSlot) ++refs[pte.slot];
  for (const auto& [slot, count] : refs)
    if (!snap.find_slot(slot))
      return Violation{InvariantId::RC, 0, std::nullopt, kNoFrame,
                       fmt::format("swap slot {} is free but {} PTEs name it", slot, count)};
  for (const SlotView& v : snap.slots) {
    std::uint32_t count = refs.count(v.slot) ? refs[v.slot] : 0;
    if (v.refcount != count)
      return Violation{InvariantId::RC, 0, std::nullopt, kNoFrame,
                       fmt::format("swap slot {} has refcount {} but {} PTEs name it{}", v.slot,
                                   v.refcount, count, count == 0 ? " (leaked)" : "")};
  }
  return std::nullopt;
}

}  // namespace

std::optional<Violation> check_rc(const Step& s) {
  if (auto v = check_choice(s)) return v;
  if (!s.snap_after) return std::nullopt;
  if (auto v = check_oom(s)) return v;
  if (auto v = check_frames(*s.snap_after)) return v;
  return check_slots(*s.snap_after);
}

}  // namespace cow
