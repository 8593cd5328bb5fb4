// ISO: isolation. What a program observes equals the eager-copy semantics,
// and so does every page and every pin at every step.
#include <fmt/format.h>

#include "spec/checks.h"

namespace cow {

namespace {

Violation iso(Pid pid, std::optional<Vpn> vpn, Pfn frame, std::string detail) {
  return Violation{InvariantId::ISO, pid, vpn, frame, std::move(detail)};
}

// Names another live process whose page holds `seen`, to say whose write
// leaked: the headline case is a child seeing its parent's later write.
std::string whose(const Semantics& sem, Pid reader, Vpn vpn, std::uint32_t word, Value seen) {
  for (const auto& [pid, proc] : sem.processes()) {
    if (pid == reader || sem.space_owner(pid) == sem.space_owner(reader)) continue;
    const Semantics::Page* page = sem.view(pid, vpn);
    if (page && page->data[word] == seen && page->writer[word] != 0)
      return fmt::format(" ({} is what pid {} wrote there: a write leaked across processes)", seen,
                         page->writer[word]);
  }
  return "";
}

std::optional<Violation> check_outcome(const Step& s) {
  const Outcome& want = s.expected;
  const Outcome& got = s.actual;
  std::optional<Vpn> vpn;
  if (op_touches_page(s.op.kind)) vpn = s.op.vpn;
  if (got.status != want.status) {
    if (s.after.allows(s.op, want, got)) return std::nullopt;
    return iso(s.op.pid, vpn, kNoFrame,
               fmt::format("{} returned {}, the semantics says {}", to_string(s.op),
                           status_name(got.status), status_name(want.status)));
  }
  if (got.child != want.child)
    return iso(s.op.pid, std::nullopt, kNoFrame,
               fmt::format("{} returned child pid {}, the semantics says {}", to_string(s.op),
                           got.child, want.child));
  if (got.pin != want.pin)
    return iso(s.op.pid, vpn, kNoFrame,
               fmt::format("pin returned id {}, the semantics says {}", got.pin, want.pin));
  if (got.value != want.value) {
    if (s.op.kind == OpKind::Unpin)
      return iso(0, std::nullopt, kNoFrame,
                 fmt::format("pin {} reads {} from word {}, the semantics says {}: the pinned "
                             "page is no longer the page that was pinned",
                             s.op.pin, got.value, s.op.word, want.value));
    return iso(s.op.pid, vpn, kNoFrame,
               fmt::format("read {} from word {}, the semantics says {}{}", got.value, s.op.word,
                           want.value, whose(s.after, s.op.pid, s.op.vpn, s.op.word, got.value)));
  }
  return std::nullopt;
}

std::optional<Violation> check_data(Pid pid, Vpn vpn, Pfn frame, const PageData& held,
                                    const Semantics::Page& want, const Semantics& sem,
                                    std::string_view where) {
  for (std::uint32_t w = 0; w < kMaxWords; ++w)
    if (held[w] != want.data[w])
      return iso(
          pid, vpn, frame,
          fmt::format("the page's {} holds {}, the semantics says {}{}", where, to_string(held),
                      to_string(want.data), whose(sem, pid, vpn, w, held[w])));
  return std::nullopt;
}

// One page of a process that owns its space: mapped as the semantics says,
// and holding the semantic contents wherever its data is now.
std::optional<Violation> check_page(const Step& s, Pid pid, Vpn vpn) {
  const Semantics& sem = s.after;
  const Snapshot& snap = *s.snap_after;
  const Semantics::Mapping& m = sem.space(pid)[vpn];
  const PteView* pte = snap.find_pte(pid, vpn);
  if (!pte)
    return iso(pid, vpn, kNoFrame, "the snapshot has no entry for this page of a live process");
  MapKind kind = pte->kind;
  if (kind != m.kind)
    return iso(pid, vpn, kNoFrame,
               fmt::format("the page is mapped {}, the semantics says {}", map_kind_name(kind),
                           map_kind_name(m.kind)));
  if (m.kind == MapKind::None) {
    if (pte->present || pte->slot != kNoSlot)
      return iso(pid, vpn, pte->frame, "an unmapped page still has a frame or a swap slot");
    return std::nullopt;
  }
  const Semantics::Page& want = sem.cell(m.cell);
  if (pte->present) {
    const FrameView* frame = snap.find_frame(pte->frame);
    if (!frame) return iso(pid, vpn, pte->frame, "page maps a frame not in use");
    return check_data(pid, vpn, pte->frame, frame->contents, want, sem, "frame");
  }
  if (pte->slot != kNoSlot) {
    const SlotView* slot = snap.find_slot(pte->slot);
    if (!slot)
      return iso(pid, vpn, kNoFrame,
                 fmt::format("page names swap slot {}, which is free", pte->slot));
    return check_data(pid, vpn, kNoFrame, slot->contents, want, sem, "swap slot");
  }
  // Not in memory and not in swap: only an untouched anonymous page (all
  // zeros) or a page its object holds may be nowhere.
  if (m.own && want.data != PageData{})
    return iso(pid, vpn, kNoFrame,
               fmt::format("the page holds {} in the semantics but is in no frame and no swap "
                           "slot: its data is lost",
                           to_string(want.data)));
  return std::nullopt;
}

std::optional<Violation> check_pins(const Step& s) {
  const Snapshot& snap = *s.snap_after;
  const auto& pins = s.after.pins();
  for (const PinView& pin : snap.pins) {
    auto it = pins.find(pin.id);
    if (it == pins.end())
      return iso(0, std::nullopt, pin.frame,
                 fmt::format("pin {} is held but was never taken or was dropped", pin.id));
    if (pin.rw != s.after.pin_rw(pin.id))
      return iso(0, std::nullopt, pin.frame,
                 fmt::format("pin {} is shown {}, it was taken {}", pin.id,
                             pin.rw ? "read-write" : "read-only",
                             s.after.pin_rw(pin.id) ? "read-write" : "read-only"));
    const FrameView* frame = snap.find_frame(pin.frame);
    if (!frame)
      return iso(0, std::nullopt, pin.frame,
                 fmt::format("pin {} holds a frame not in use", pin.id));
    const Semantics::Page& want = s.after.cell(it->second);
    if (frame->contents != want.data)
      return iso(0, std::nullopt, pin.frame,
                 fmt::format("pin {} sees {}, the semantics says {}: the pinned frame is no "
                             "longer the page that was pinned",
                             pin.id, to_string(frame->contents), to_string(want.data)));
  }
  if (pins.size() != snap.pins.size())
    return iso(
        0, std::nullopt, kNoFrame,
        fmt::format("{} pins are held, the semantics says {}", snap.pins.size(), pins.size()));
  return std::nullopt;
}

// The processes shown are the live ones, each in the space and the vfork
// state the semantics gives it.
std::optional<Violation> check_procs(const Step& s) {
  const Semantics& sem = s.after;
  for (const ProcView& p : s.snap_after->procs) {
    if (!sem.live(p.pid))
      return iso(p.pid, std::nullopt, kNoFrame, "a process that does not exist is shown live");
    if (p.space != sem.space_owner(p.pid))
      return iso(p.pid, std::nullopt, kNoFrame,
                 fmt::format("runs in the space of pid {}, the semantics says pid {}", p.space,
                             sem.space_owner(p.pid)));
    bool suspended = sem.processes().at(p.pid).suspended_by != 0;
    if (p.suspended != suspended)
      return iso(p.pid, std::nullopt, kNoFrame,
                 fmt::format("is shown {}, the semantics says it is {}",
                             p.suspended ? "suspended" : "running",
                             suspended ? "suspended in vfork" : "running"));
  }
  if (s.snap_after->procs.size() != sem.processes().size())
    return iso(0, std::nullopt, kNoFrame,
               fmt::format("{} processes are shown, the semantics has {} live",
                           s.snap_after->procs.size(), sem.processes().size()));
  return std::nullopt;
}

std::optional<Violation> check_contents(const Step& s) {
  if (auto v = check_procs(s)) return v;
  for (const auto& [pid, proc] : s.after.processes()) {
    if (s.after.space_owner(pid) != pid) continue;
    for (Vpn vpn = 0; vpn < s.after.config().pages; ++vpn)
      if (auto v = check_page(s, pid, vpn)) return v;
  }
  for (const PteView& pte : s.snap_after->ptes)
    if (!s.after.live(pte.pid) || s.after.space_owner(pte.pid) != pte.pid)
      return iso(pte.pid, pte.vpn, pte.frame,
                 s.after.live(pte.pid) ? "a vfork child has a page table of its own"
                                       : "a process that does not exist still has a page table");
  return check_pins(s);
}

}  // namespace

std::optional<Violation> check_iso(const Step& step) {
  if (auto v = check_outcome(step)) return v;
  if (step.snap_after) return check_contents(step);
  return std::nullopt;
}

}  // namespace cow
