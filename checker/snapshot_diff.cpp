#include "checker/snapshot_diff.h"

#include <algorithm>

#include <fmt/format.h>

namespace cow {

namespace {

std::string describe(const PteView& p) {
  std::string kind(map_kind_name(p.kind));
  if (p.slot != kNoSlot) return fmt::format("{} in swap slot {}", kind, p.slot);
  if (!p.present) return fmt::format("{} not present", kind);
  return fmt::format("{} frame {} {}{}{}", kind, p.frame, p.writable ? "rw" : "r-",
                     p.cow ? " cow" : "", p.exclusive ? " exclusive" : "");
}

std::string describe(const FrameView& f) {
  return fmt::format("refcount {} contents {}{}", f.refcount, to_string(f.contents),
                     f.cache ? " (file/shared object)" : "");
}

std::string describe(const std::vector<ProcView>& procs) {
  std::string text;
  for (const ProcView& p : procs)
    text += fmt::format("{}{}{}{}", text.empty() ? "" : ", ", p.pid,
                        p.space != p.pid ? fmt::format(" in {}'s space", p.space) : "",
                        p.suspended ? " suspended" : "");
  return "[" + text + "]";
}

std::string describe(const std::vector<PinView>& pins) {
  std::string text;
  for (const PinView& p : pins)
    text += fmt::format("{}pin {} on frame {}{}", text.empty() ? "" : ", ", p.id, p.frame,
                        p.rw ? " rw" : "");
  return "[" + text + "]";
}

std::string describe(const std::vector<SlotView>& slots) {
  std::string text;
  for (const SlotView& v : slots)
    text += fmt::format("{}slot {} refcount {} {}", text.empty() ? "" : ", ", v.slot, v.refcount,
                        to_string(v.contents));
  return "[" + text + "]";
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
    return diff(
        extra.pid, extra.vpn, kNoFrame,
        fmt::format("only the {} has a PTE for pid {} vpn {}",
                    want.ptes.size() > n ? "model" : "implementation", extra.pid, extra.vpn));
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
    if (!(w == g)) {
      Violation v = diff(0, std::nullopt, w.frame,
                         fmt::format("the model's frame has {}, the implementation's has {}",
                                     describe(w), describe(g)));
      // Name a page that sees the frame: that is where a program notices.
      for (const PteView& p : want.ptes)
        if (p.present && p.frame == w.frame) {
          v.pid = p.pid;
          v.vpn = p.vpn;
          break;
        }
      return v;
    }
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
  if (want.procs != got.procs)
    return diff(0, std::nullopt, kNoFrame,
                fmt::format("the model's processes are {}, the implementation's {}",
                            describe(want.procs), describe(got.procs)));
  if (auto v = pte_difference(want, got)) return v;
  if (auto v = frame_difference(want, got)) return v;
  if (want.pins != got.pins)
    return diff(0, std::nullopt, kNoFrame,
                fmt::format("the model's pins are {}, the implementation's {}", describe(want.pins),
                            describe(got.pins)));
  if (want.slots != got.slots)
    return diff(0, std::nullopt, kNoFrame,
                fmt::format("the model's swap slots are {}, the implementation's {}",
                            describe(want.slots), describe(got.slots)));
  if (want.free_frames != got.free_frames || want.total_frames != got.total_frames)
    return diff(
        0, std::nullopt, kNoFrame,
        fmt::format("the model has {} of {} frames free, the implementation {} of {}",
                    want.free_frames, want.total_frames, got.free_frames, got.total_frames));
  return std::nullopt;
}

Pfn CanonicalComparer::Side::rename(Pfn old) {
  if (name[old] == kNoFrame) {
    name[old] = static_cast<Pfn>(named.size());
    named.push_back(old);
  }
  return name[old];
}

void CanonicalComparer::Side::reset() {
  for (Pfn old : named) name[old] = kNoFrame;
  named.clear();
  frames.clear();
}

// The same renaming as canonicalize(): PTEs in order first, then the frames
// in use that no PTE maps, in their own order.
bool CanonicalComparer::Side::build(const Snapshot& s) {
  reset();
  Pfn limit = s.total_frames;
  for (const PteView& p : s.ptes)
    if (p.frame != kNoFrame) limit = std::max(limit, p.frame + 1);
  for (const FrameView& f : s.frames) limit = std::max(limit, f.frame + 1);
  if (limit > (1u << 24)) return false;
  if (name.size() < limit) name.resize(limit, kNoFrame);
  for (const PteView& p : s.ptes)
    if (p.frame != kNoFrame) rename(p.frame);
  for (const FrameView& f : s.frames) rename(f.frame);
  frames.assign(named.size(), nullptr);
  for (const FrameView& f : s.frames) frames[name[f.frame]] = &f;
  return true;
}

bool CanonicalComparer::equal(const Snapshot& a, const Snapshot& b) {
  if (a.ptes.size() != b.ptes.size() || a.frames.size() != b.frames.size() ||
      a.free_frames != b.free_frames || a.total_frames != b.total_frames || a.procs != b.procs)
    return false;
  // Pins and swap slots take part in the renaming; the quick path below
  // covers the common state without them.
  if (!a.pins.empty() || !b.pins.empty() || !a.slots.empty() || !b.slots.empty())
    return canonicalize(a) == canonicalize(b);
  if (!a_.build(a) || !b_.build(b)) return canonicalize(a) == canonicalize(b);
  for (std::size_t i = 0; i < a.ptes.size(); ++i) {
    PteView pa = a.ptes[i];
    PteView pb = b.ptes[i];
    if (pa.frame != kNoFrame) pa.frame = a_.name[pa.frame];
    if (pb.frame != kNoFrame) pb.frame = b_.name[pb.frame];
    if (!(pa == pb)) return false;
  }
  if (a_.frames.size() != b_.frames.size()) return false;
  for (std::size_t i = 0; i < a_.frames.size(); ++i) {
    const FrameView* fa = a_.frames[i];
    const FrameView* fb = b_.frames[i];
    if (!fa || !fb) {
      if (fa != fb) return false;
      continue;
    }
    if (fa->refcount != fb->refcount || fa->contents != fb->contents || fa->cache != fb->cache)
      return false;
  }
  return true;
}

}  // namespace cow
