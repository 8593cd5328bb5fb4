#include "spec/snapshot.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace cow {

const PteView* Snapshot::find_pte(Pid pid, Vpn vpn) const {
  auto it = std::lower_bound(ptes.begin(), ptes.end(), std::pair{pid, vpn},
                             [](const PteView& p, std::pair<Pid, Vpn> key) {
                               return std::pair{p.pid, p.vpn} < key;
                             });
  return it != ptes.end() && it->pid == pid && it->vpn == vpn ? &*it : nullptr;
}

const FrameView* Snapshot::find_frame(Pfn frame) const {
  auto it = std::lower_bound(frames.begin(), frames.end(), frame,
                             [](const FrameView& f, Pfn key) { return f.frame < key; });
  return it != frames.end() && it->frame == frame ? &*it : nullptr;
}

std::uint32_t Snapshot::refcount(Pfn frame) const {
  const FrameView* f = find_frame(frame);
  return f ? f->refcount : 0;
}

std::string to_string(const PageData& data) {
  std::string text;
  for (Value v : data) {
    if (!text.empty()) text += ' ';
    text += v == 0xdeadbeef ? std::string("poison") : fmt::format("{}", v);
  }
  return "[" + text + "]";
}

Snapshot canonicalize(const Snapshot& s) {
  std::map<Pfn, Pfn> rename;
  auto name = [&](Pfn old) {
    auto [it, fresh] = rename.try_emplace(old, static_cast<Pfn>(rename.size()));
    return it->second;
  };
  Snapshot out = s;
  for (PteView& p : out.ptes)
    if (p.frame != kNoFrame) p.frame = name(p.frame);
  for (FrameView& f : out.frames) f.frame = name(f.frame);
  std::sort(out.frames.begin(), out.frames.end(),
            [](const FrameView& a, const FrameView& b) { return a.frame < b.frame; });
  return out;
}

std::string to_string(const Snapshot& s) {
  std::string text = "  pid vpn  frame  flags\n";
  for (const PteView& p : s.ptes) {
    std::string frame = p.frame == kNoFrame ? "-" : fmt::format("{}", p.frame);
    std::string flags = p.present ? fmt::format("{}{}", p.writable ? "rw" : "r-", p.cow ? " cow" : "")
                                  : "not-present";
    text += fmt::format("  {:>3} {:>3}  {:>5}  {}\n", p.pid, p.vpn, frame, flags);
  }
  text += "  frame refcount contents\n";
  for (const FrameView& f : s.frames)
    text += fmt::format("  {:>5} {:>8}  {}\n", f.frame, f.refcount, to_string(f.contents));
  text += fmt::format("  free frames: {} of {}\n", s.free_frames, s.total_frames);
  return text;
}

}  // namespace cow
