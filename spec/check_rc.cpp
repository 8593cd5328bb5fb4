// RC: refcount correctness. Every reference is counted once, every free
// frame is unreferenced, and the free list is exactly the frames not in use.
#include <map>

#include <fmt/format.h>

#include "spec/checks.h"

namespace cow {

namespace {

Violation frame_violation(Pfn frame, std::string detail) {
  return Violation{InvariantId::RC, 0, std::nullopt, frame, std::move(detail)};
}

std::optional<Violation> check_oom(const Step& s) {
  if (s.actual.status != Status::OutOfMemory || !s.snap_before || !s.snap_after)
    return std::nullopt;
  if (s.snap_before->free_frames != 0)
    return Violation{InvariantId::RC, s.op.pid, std::nullopt, kNoFrame,
                     fmt::format("{} reported out-of-memory with {} free frames", to_string(s.op),
                                 s.snap_before->free_frames)};
  if (!(*s.snap_before == *s.snap_after))
    return Violation{InvariantId::RC, s.op.pid, std::nullopt, kNoFrame,
                     fmt::format("{} reported out-of-memory but changed the state",
                                 to_string(s.op))};
  return std::nullopt;
}

}  // namespace

std::optional<Violation> check_rc(const Step& s) {
  if (!s.snap_after) return std::nullopt;
  if (auto v = check_oom(s)) return v;
  const Snapshot& snap = *s.snap_after;

  std::map<Pfn, std::uint32_t> refs;
  for (const PteView& pte : snap.ptes)
    if (pte.present) ++refs[pte.frame];

  for (const auto& [frame, count] : refs)
    if (snap.refcount(frame) == 0)
      return frame_violation(frame, fmt::format("frame is free but {} PTEs map it", count));

  std::uint32_t in_use = 0;
  for (const FrameView& f : snap.frames) {
    auto it = refs.find(f.frame);
    std::uint32_t count = it == refs.end() ? 0 : it->second;
    if (f.refcount != count)
      return frame_violation(
          f.frame, fmt::format("refcount is {} but {} PTEs of live processes map it{}", f.refcount,
                               count, count == 0 ? " (leaked)" : ""));
    if (f.refcount != 0) ++in_use;
  }
  if (in_use + snap.free_frames != snap.total_frames)
    return frame_violation(kNoFrame, fmt::format("{} frames in use and {} free, of {}", in_use,
                                                 snap.free_frames, snap.total_frames));
  return std::nullopt;
}

}  // namespace cow
