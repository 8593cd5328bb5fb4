// ISO: isolation. What a program observes equals the eager-copy semantics.
#include <fmt/format.h>

#include "spec/checks.h"

namespace cow {

namespace {

// OOM is the one status an implementation may return where the semantics
// says ok: running out of frames is not observable in the naive fork. RC
// checks that it happened only with an empty free list.
bool may_report_oom(const Op& op) { return op.kind == OpKind::Write || op.kind == OpKind::Fork; }

// Names another live process whose page holds `seen`, to say whose write
// leaked: the headline case is a child seeing its parent's later write.
std::string whose(const Semantics& sem, Pid reader, Vpn vpn, std::uint32_t word, Value seen) {
  for (const auto& [pid, space] : sem.spaces()) {
    if (pid == reader) continue;
    const Semantics::Page& page = space[vpn];
    if (page.data[word] == seen && page.writer[word] != 0)
      return fmt::format(" ({} is what pid {} wrote there: a write leaked across processes)", seen,
                         page.writer[word]);
  }
  return "";
}

std::optional<Violation> check_outcome(const Step& s) {
  const Outcome& want = s.expected;
  const Outcome& got = s.actual;
  if (got.status != want.status) {
    if (got.status == Status::OutOfMemory && want.status == Status::Ok && may_report_oom(s.op))
      return std::nullopt;
    Violation v{InvariantId::ISO, s.op.pid, std::nullopt, kNoFrame,
                fmt::format("{} returned {}, the semantics says {}", to_string(s.op),
                            status_name(got.status), status_name(want.status))};
    if (s.op.kind == OpKind::Write || s.op.kind == OpKind::Read) v.vpn = s.op.vpn;
    return v;
  }
  if (got.child != want.child)
    return Violation{InvariantId::ISO, s.op.pid, std::nullopt, kNoFrame,
                     fmt::format("fork returned child pid {}, the semantics says {}", got.child,
                                 want.child)};
  if (got.value != want.value)
    return Violation{InvariantId::ISO, s.op.pid, s.op.vpn, kNoFrame,
                     fmt::format("read {} from word {}, the semantics says {}{}", got.value,
                                 s.op.word, want.value,
                                 whose(s.after, s.op.pid, s.op.vpn, s.op.word, got.value))};
  return std::nullopt;
}

// Every page of every live process must hold its semantic value now, not
// only when it is next read: a leak is caught at the step that made it.
std::optional<Violation> check_contents(const Step& s) {
  const Snapshot& snap = *s.snap_after;
  for (const auto& [pid, space] : s.after.spaces()) {
    for (Vpn vpn = 0; vpn < space.size(); ++vpn) {
      const PteView* pte = snap.find_pte(pid, vpn);
      if (!pte || !pte->present)
        return Violation{InvariantId::ISO, pid, vpn, kNoFrame, "live page is not mapped"};
      const FrameView* frame = snap.find_frame(pte->frame);
      if (!frame)
        return Violation{InvariantId::ISO, pid, vpn, pte->frame, "page maps a frame not in use"};
      for (std::uint32_t w = 0; w < kMaxWords; ++w) {
        Value held = frame->contents[w];
        if (held != space[vpn].data[w])
          return Violation{InvariantId::ISO, pid, vpn, pte->frame,
                           fmt::format("the page holds {}, the semantics says {}{}",
                                       to_string(frame->contents), to_string(space[vpn].data),
                                       whose(s.after, pid, vpn, w, held))};
      }
    }
  }
  for (const PteView& pte : snap.ptes)
    if (!s.after.live(pte.pid))
      return Violation{InvariantId::ISO, pte.pid, pte.vpn, pte.frame,
                       "a process that does not exist still has a page table"};
  return std::nullopt;
}

}  // namespace

std::optional<Violation> check_iso(const Step& step) {
  if (auto v = check_outcome(step)) return v;
  if (step.snap_after) return check_contents(step);
  return std::nullopt;
}

}  // namespace cow
