#include "checker/snapshot_diff.h"

#include <algorithm>

#include <fmt/format.h>

namespace cow {

namespace {

std::string describe(const PteView& p) {
  if (!p.present) return "not present";
  return fmt::format("frame {} {}{}", p.frame, p.writable ? "rw" : "r-", p.cow ? " cow" : "");
}

std::string describe(const FrameView& f) {
  return fmt::format("refcount {} contents {}", f.refcount, to_string(f.contents));
}

Violation diff(Pid pid, std::optional<Vpn> vpn, Pfn frame, std::string detail) {
  return Violation{InvariantId::DIFF, pid, vpn, frame, std::move(detail)};
}

std::optional<Violation> pte_difference(const Snapshot& want, const Snapshot& got) {
  std::size_t n = std::min(want.ptes.size(), got.ptes.size());
  for (std::size_t i = 0; i < n; ++i) {
    const PteView& w = want.ptes[i];
    const PteView& g = got.ptes[i];
    if (w.pid != g.pid || w.vpn != g.vpn)
      return diff(w.pid, w.vpn, kNoFrame,
                  fmt::format("the model has a PTE for pid {} vpn {} where the implementation "
                              "has pid {} vpn {}",
                              w.pid, w.vpn, g.pid, g.vpn));
    if (!(w == g))
      return diff(w.pid, w.vpn, w.frame,
                  fmt::format("the model's PTE is {}, the implementation's is {}", describe(w),
                              describe(g)));
  }
  if (want.ptes.size() != got.ptes.size()) {
    const PteView& extra = want.ptes.size() > n ? want.ptes[n] : got.ptes[n];
    return diff(extra.pid, extra.vpn, kNoFrame,
                fmt::format("only the {} has a PTE for pid {} vpn {}",
                            want.ptes.size() > n ? "model" : "implementation", extra.pid,
                            extra.vpn));
  }
  return std::nullopt;
}

std::optional<Violation> frame_difference(const Snapshot& want, const Snapshot& got) {
  std::size_t n = std::min(want.frames.size(), got.frames.size());
  for (std::size_t i = 0; i < n; ++i) {
    const FrameView& w = want.frames[i];
    const FrameView& g = got.frames[i];
    if (w.frame != g.frame)
      return diff(0, std::nullopt, std::min(w.frame, g.frame),
                  fmt::format("frame {} is in use only in the {}", std::min(w.frame, g.frame),
                              w.frame < g.frame ? "model" : "implementation"));
    if (!(w == g))
      return diff(0, std::nullopt, w.frame,
                  fmt::format("the model's frame has {}, the implementation's has {}",
                              describe(w), describe(g)));
  }
  if (want.frames.size() != got.frames.size()) {
    bool model = want.frames.size() > n;
    Pfn frame = model ? want.frames[n].frame : got.frames[n].frame;
    return diff(0, std::nullopt, frame,
                fmt::format("frame {} is in use only in the {}", frame,
                            model ? "model" : "implementation"));
  }
  return std::nullopt;
}

}  // namespace

std::optional<Violation> snapshot_difference(const Snapshot& want, const Snapshot& got) {
  if (auto v = pte_difference(want, got)) return v;
  if (auto v = frame_difference(want, got)) return v;
  if (want.free_frames != got.free_frames || want.total_frames != got.total_frames)
    return diff(0, std::nullopt, kNoFrame,
                fmt::format("the model has {} of {} frames free, the implementation {} of {}",
                            want.free_frames, want.total_frames, got.free_frames,
                            got.total_frames));
  return std::nullopt;
}

}  // namespace cow
