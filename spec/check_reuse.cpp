// REUSE: the sole-owner optimization, and that a fault is served at all.
// A write fault on a private page copies exactly when another page can see
// the frame, and reuses it when the writer holds the only reference. Under
// --reuse optional a copy is accepted where a reuse is allowed: it costs a
// frame but shows nobody anything; a reuse where a copy is needed never is.
#include <fmt/format.h>

#include "spec/checks.h"
#include "spec/frame_refs.h"
#include "spec/reuse_policy.h"

namespace cow {

namespace {

Violation at(const Step& s, Pfn frame, std::string detail) {
  return Violation{InvariantId::REUSE, s.op.pid, s.op.vpn, frame, std::move(detail)};
}

// What a fault must have done, from the frame's sharing before it.
enum class Need { Copy, Reuse };

Need need(const Step& s, std::uint32_t maps, const PteView& pte) {
  const Snapshot& before = *s.snap_before;
  const FrameView* frame = before.find_frame(pte.frame);
  if ((frame && frame->cache) || maps > 1) return Need::Copy;
  // One mapping, and maybe pins besides: whether a pin is the writer's own
  // is the reuse policy's question, answered from the state before.
  return policy_reuses(s.after.config().policy, pte.exclusive, maps, before.refcount(pte.frame))
             ? Need::Reuse
             : Need::Copy;
}

std::optional<Violation> check_fault(const Step& s, const PteView& before, const PteView& after) {
  bool same_frame = after.frame == before.frame;
  std::uint32_t free_before = s.snap_before->free_frames;
  std::uint32_t free_after = s.snap_after->free_frames;
  std::uint32_t maps = FrameRefs(*s.snap_before).maps(before.frame);
  Need want = need(s, maps, before);
  bool reused = s.actual.fault == Fault::CowReuse && same_frame && free_after == free_before;
  // A copy takes one frame; it also frees the old one when the writer held
  // its only reference (a file page nobody else maps).
  std::uint32_t freed = s.snap_before->refcount(before.frame) == 1 ? 1 : 0;
  bool copied =
      s.actual.fault == Fault::CowCopy && !same_frame && free_after + 1 == free_before + freed;
  bool copy_allowed = s.after.config().reuse == ReuseRule::Optional;
  if (want == Need::Reuse && !reused && !(copy_allowed && copied))
    return at(
        s, before.frame,
        fmt::format("the writer owns the frame ({} mapping, refcount {}{}) and must {} "
                    "it under the {} policy, but the fault was {}, {}, free frames {} -> {}",
                    maps, s.snap_before->refcount(before.frame),
                    before.exclusive ? ", exclusive" : "", copy_allowed ? "reuse or copy" : "reuse",
                    policy_name(s.after.config().policy), fault_name(s.actual.fault),
                    same_frame ? "same frame" : "new frame", free_before, free_after));
  if (want == Need::Copy && !copied)
    return at(s, before.frame,
              fmt::format("frame shared (refcount {}, {} mappings, or a file frame) must be "
                          "copied to one new frame under the {} policy, but the fault was {}, {}, "
                          "free frames {} -> {}",
                          s.snap_before->refcount(before.frame), maps,
                          policy_name(s.after.config().policy), fault_name(s.actual.fault),
                          same_frame ? "same frame" : "new frame", free_before, free_after));
  return std::nullopt;
}

}  // namespace

std::optional<Violation> check_reuse(const Step& s) {
  if (s.op.kind != OpKind::Write && s.op.kind != OpKind::Copyout && s.op.kind != OpKind::Memwrite)
    return std::nullopt;
  if (s.actual.status != Status::Ok || !s.snap_before || !s.snap_after) return std::nullopt;
  Pid owner = s.after.space_owner(s.op.pid);  // a vfork child writes its parent's PTEs
  const PteView* before = s.snap_before->find_pte(owner, s.op.vpn);
  const PteView* after = s.snap_after->find_pte(owner, s.op.vpn);
  // Faults on pages not present (zero-fill, swap-in, page-in) and shared
  // mappings have no reuse decision to judge.
  if (!before || !after || !before->present || !after->present || !is_private(before->kind))
    return std::nullopt;

  if (!after->writable || after->cow)
    return at(
        s, after->frame,
        fmt::format("after the write the PTE is {}{}: the fault was not fully served",
                    after->writable ? "writable" : "read-only", after->cow ? " with cow" : ""));
  if (before->writable) {
    bool same_frame = after->frame == before->frame;
    if (s.actual.fault != Fault::None || !same_frame)
      return at(
          s, before->frame,
          fmt::format("write to a writable PTE reported {} and {}", fault_name(s.actual.fault),
                      same_frame ? "kept its frame" : "moved frames"));
    return std::nullopt;
  }
  return check_fault(s, *before, *after);
}

}  // namespace cow
