// RC, the answers the semantics leaves open: out-of-memory and killed only
// when the op needs more frames than the state before it had free, busy
// only when swapout finds its frame pinned. An answer is accepted only when
// the state before the op says why.
#include <fmt/format.h>

#include "spec/checks.h"
#include "spec/frames_needed.h"

namespace cow {

bool is_choice(const Outcome& expected, const Outcome& actual) {
  if (expected.status != Status::Ok) return false;
  return actual.status == Status::OutOfMemory || actual.status == Status::Killed ||
         actual.status == Status::Busy;
}

namespace {

Violation unjustified(const Step& s, std::string detail) {
  std::optional<Vpn> vpn;
  if (op_touches_page(s.op.kind)) vpn = s.op.vpn;
  return Violation{InvariantId::RC, s.op.pid, vpn, kNoFrame, std::move(detail)};
}

}  // namespace

std::optional<Violation> check_choice(const Step& s) {
  if (!is_choice(s.expected, s.actual) || !s.after.allows(s.op, s.expected, s.actual))
    return std::nullopt;  // not a choice; ISO judges the answer itself
  const Snapshot* basis = s.basis ? s.basis : s.snap_before;
  const Semantics& sem = s.before ? *s.before : s.after;
  std::string_view answer = status_name(s.actual.status);
  if (!basis)
    return unjustified(s, fmt::format("{} answered {}, and no state before it is known to say "
                                      "why (the model beside a black box could not follow it)",
                                      to_string(s.op), answer));
  if (s.actual.status == Status::Busy) {
    if (swapout_finds_pinned(s.op, *basis, sem)) return std::nullopt;
    return unjustified(
        s, fmt::format("{} answered busy, but the page's frame is not pinned", to_string(s.op)));
  }
  std::uint32_t need = frames_needed(s.op, *basis, sem);
  if (need > basis->free_frames) return std::nullopt;
  return unjustified(s, fmt::format("{} answered {} with {} free frames, and it needs {}",
                                    to_string(s.op), answer, basis->free_frames, need));
}

}  // namespace cow
