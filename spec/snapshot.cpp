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

const SlotView* Snapshot::find_slot(Slot slot) const {
  auto it = std::lower_bound(slots.begin(), slots.end(), slot,
                             [](const SlotView& s, Slot key) { return s.slot < key; });
  return it != slots.end() && it->slot == slot ? &*it : nullptr;
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

namespace {

// Numbers in order of first use, so renaming is the same for equal shapes.
template <typename Id>
struct Renamer {
  std::map<Id, Id> names;
  Id operator()(Id old) {
    auto [it, fresh] = names.try_emplace(old, static_cast<Id>(names.size()));
    return it->second;
  }
};

}  // namespace

Snapshot canonicalize(const Snapshot& s) {
  Renamer<Pfn> frame;
  Renamer<Slot> slot;
  Snapshot out = s;
  for (PteView& p : out.ptes) {
    if (p.frame != kNoFrame) p.frame = frame(p.frame);
    if (p.slot != kNoSlot) p.slot = slot(p.slot);
  }
  for (PinView& p : out.pins)
    if (p.frame != kNoFrame) p.frame = frame(p.frame);
  for (FrameView& f : out.frames) f.frame = frame(f.frame);
  for (SlotView& v : out.slots) v.slot = slot(v.slot);
  std::sort(out.frames.begin(), out.frames.end(),
            [](const FrameView& a, const FrameView& b) { return a.frame < b.frame; });
  std::sort(out.slots.begin(), out.slots.end(),
            [](const SlotView& a, const SlotView& b) { return a.slot < b.slot; });
  return out;
}

namespace {

std::string pte_flags(const PteView& p) {
  std::string kind =
      p.kind == MapKind::PrivateAnon ? "" : fmt::format(" {}", map_kind_name(p.kind));
  if (p.slot != kNoSlot) return fmt::format("swapped{}", kind);
  if (!p.present) return fmt::format("not-present{}", kind);
  return fmt::format("{}{}{}{}", p.writable ? "rw" : "r-", p.cow ? " cow" : "",
                     p.exclusive ? " excl" : "", kind);
}

}  // namespace

std::string to_string(const Snapshot& s) {
  std::string text;
  for (const ProcView& p : s.procs)
    if (p.space != p.pid || p.suspended)
      text += fmt::format(
          "  pid {}{}{}\n", p.pid,
          p.space != p.pid ? fmt::format(" runs in pid {}'s space (vfork)", p.space) : "",
          p.suspended ? " suspended" : "");
  text += "  pid vpn  frame  flags\n";
  for (const PteView& p : s.ptes) {
    if (p.kind == MapKind::None) continue;
    std::string where = p.frame != kNoFrame ? fmt::format("{}", p.frame)
                        : p.slot != kNoSlot ? fmt::format("s{}", p.slot)
                                            : "-";
    text += fmt::format("  {:>3} {:>3}  {:>5}  {}\n", p.pid, p.vpn, where, pte_flags(p));
  }
  text += "  frame refcount contents\n";
  for (const FrameView& f : s.frames)
    text += fmt::format("  {:>5} {:>8}  {}{}\n", f.frame, f.refcount, to_string(f.contents),
                        f.cache ? " (file/shared object)" : "");
  for (const SlotView& v : s.slots)
    text += fmt::format("  slot s{} refcount {}  {}\n", v.slot, v.refcount, to_string(v.contents));
  for (const PinView& p : s.pins)
    text += fmt::format("  pin {} holds frame {}{}\n", p.id, p.frame, p.rw ? " (rw)" : "");
  text += fmt::format("  free frames: {} of {}\n", s.free_frames, s.total_frames);
  return text;
}

}  // namespace cow
