// The white-box view: what each PTE means to its process and what each
// frame's and slot's refcount means, in the spec's terms.
#include <vector>

#include "impl/fast/fast_cow.h"

namespace cow::fast {

namespace {

PteView view_of(Pid pid, Vpn vpn, Pte pte) {
  PteView view;
  view.pid = pid;
  view.vpn = vpn;
  view.kind = pte_kind(pte);
  view.present = pte_present(pte);
  view.writable = pte_writable(pte);
  view.cow = pte_cow(pte);
  view.exclusive = pte_exclusive(pte);
  if (pte_present(pte)) view.frame = pte_frame(pte);
  if (pte_swap(pte)) view.slot = pte_slot(pte);
  return view;
}

}  // namespace

std::optional<PteView> FastCow::pte_view(Pid pid, Vpn vpn) const {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return std::nullopt;
  return view_of(pid, vpn, pte_seen(walk(space_of(it->second).root, vpn)));
}

// A frame's (or slot's) refcount counts leaf tables and pins; the spec's
// counts PTEs of live processes and pins. A leaf table shared by n
// processes holds one reference to each of its frames and stands for n
// PTEs, so each of its reverse-map entries adds n-1. The stored refcounts
// are what is reported, so a wrong one shows.
std::optional<Snapshot> FastCow::snapshot() const {
  Snapshot snap;
  snap.total_frames = frames_.size();
  snap.free_frames = frames_.free_count();
  std::vector<bool> frame_named(frames_.size(), false);
  std::vector<bool> slot_named(slots_.size(), false);
  for (const auto& [pid, proc] : processes_)
    snap.procs.push_back({pid, proc.space, proc.suspended});
  for (const auto& [pid, proc] : processes_) {
    if (proc.space != pid) continue;  // a vfork child's or a thread's PTEs are the holder's
    for (Vpn vpn = 0; vpn < config_.pages; ++vpn) {
      PteView view = view_of(pid, vpn, pte_seen(walk(proc.root, vpn)));
      if (view.frame != kNoFrame && view.frame < frame_named.size()) frame_named[view.frame] = true;
      if (view.slot != kNoSlot && view.slot < slot_named.size()) slot_named[view.slot] = true;
      snap.ptes.push_back(view);
    }
  }
  for (const auto& [id, pin] : pins_) {
    snap.pins.push_back({id, pin.frame, pin.rw});
    if (pin.frame < frame_named.size()) frame_named[pin.frame] = true;
  }
  auto shared_extra = [&](Loc head) {
    std::uint32_t extra = 0;
    for (Loc loc = head; loc != kNoLoc; loc = tables_.link(loc).next)
      extra += tables_.refcount(tables_.loc_table(loc)) - 1;
    return extra;
  };
  for (Pfn f = 0; f < frames_.size(); ++f) {
    if (frames_.refcount(f) == 0 && !frame_named[f]) continue;
    std::uint32_t refcount = frames_.refcount(f) + shared_extra(meta_[f].rmap);
    snap.frames.push_back({f, refcount, frames_.page_data(f), meta_[f].object != kNoObject});
  }
  for (Slot s = 0; s < slots_.size(); ++s) {
    if (slots_[s].refcount == 0 && !slot_named[s]) continue;
    snap.slots.push_back({s, slots_[s].refcount + shared_extra(slots_[s].rmap), slots_[s].data});
  }
  return snap;
}

}  // namespace cow::fast
