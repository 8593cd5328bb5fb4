// REUSE: the sole-owner optimization, and that a fault is served at all.
// A write fault copies exactly when the frame is shared.
#include <fmt/format.h>

#include "spec/checks.h"

namespace cow {

namespace {

Violation at(const Step& s, Pfn frame, std::string detail) {
  return Violation{InvariantId::REUSE, s.op.pid, s.op.vpn, frame, std::move(detail)};
}

}  // namespace

std::optional<Violation> check_reuse(const Step& s) {
  if (s.op.kind != OpKind::Write || s.actual.status != Status::Ok) return std::nullopt;
  if (!s.snap_before || !s.snap_after) return std::nullopt;
  const PteView* before = s.snap_before->find_pte(s.op.pid, s.op.vpn);
  const PteView* after = s.snap_after->find_pte(s.op.pid, s.op.vpn);
  if (!before || !after || !before->present || !after->present) return std::nullopt;  // ISO's

  if (!after->writable || after->cow)
    return at(s, after->frame,
              fmt::format("after the write the PTE is {}{}: the fault was not fully served",
                          after->writable ? "writable" : "read-only", after->cow ? " with cow" : ""));

  std::uint32_t refs = s.snap_before->refcount(before->frame);
  bool same_frame = after->frame == before->frame;
  std::uint32_t free_before = s.snap_before->free_frames;
  std::uint32_t free_after = s.snap_after->free_frames;
  if (before->writable) {
    if (s.actual.fault != Fault::None || !same_frame)
      return at(s, before->frame, fmt::format("write to a writable PTE reported {} and {}",
                                              fault_name(s.actual.fault),
                                              same_frame ? "kept its frame" : "moved frames"));
    return std::nullopt;
  }
  if (refs == 1) {
    if (s.actual.fault != Fault::CowReuse || !same_frame || free_after != free_before)
      return at(s, before->frame,
                fmt::format("sole owner (refcount 1) must reuse its frame, but the fault was {}, "
                            "{}, free frames {} -> {}",
                            fault_name(s.actual.fault), same_frame ? "same frame" : "new frame",
                            free_before, free_after));
    return std::nullopt;
  }
  if (s.actual.fault != Fault::CowCopy || same_frame || free_after + 1 != free_before)
    return at(s, before->frame,
              fmt::format("frame shared (refcount {}) must be copied to one new frame, but the "
                          "fault was {}, {}, free frames {} -> {}",
                          refs, fault_name(s.actual.fault), same_frame ? "same frame" : "new frame",
                          free_before, free_after));
  return std::nullopt;
}

}  // namespace cow
