#include "spec/invariants.h"

#include <array>

#include <fmt/format.h>

#include "spec/checks.h"

namespace cow {

namespace {

constexpr std::array kNames = {
    std::pair{InvariantId::ISO, std::string_view{"ISO"}},
    std::pair{InvariantId::WP, std::string_view{"WP"}},
    std::pair{InvariantId::REUSE, std::string_view{"REUSE"}},
    std::pair{InvariantId::RC, std::string_view{"RC"}},
    std::pair{InvariantId::DIFF, std::string_view{"DIFF"}},
    std::pair{InvariantId::CRASH, std::string_view{"CRASH"}},
    std::pair{InvariantId::HANG, std::string_view{"HANG"}},
    std::pair{InvariantId::OOM, std::string_view{"OOM"}},
    std::pair{InvariantId::EXIT, std::string_view{"EXIT"}},
};

constexpr std::array<Invariant, 4> kTable = {{
    {InvariantId::ISO,
     "every op returns what the eager-copy semantics says, and every page of every live process "
     "and every pin holds its semantic value: no process sees another's write made after their "
     "fork, and a pin keeps seeing the page it pinned",
     check_iso},
    {InvariantId::WP,
     "a private PTE is writable only if its frame has one mapping and is not a file frame; a "
     "private frame mapped twice is read-only with the cow bit in each; text is never writable; "
     "an exclusive page has one mapping",
     check_wp},
    {InvariantId::REUSE,
     "a write fault on a private page whose frame has refcount 1 reuses it (no new frame, no "
     "copy); a copy happens only for a frame mapped twice or owned by the file; after a served "
     "write the PTE is writable and not cow",
     check_reuse},
    {InvariantId::RC,
     "each frame's refcount equals the PTEs of live processes that map it plus the pins that "
     "hold it; each swap slot's, the swap PTEs that name it; free frames are named by nothing and "
     "the free list holds exactly them; out-of-memory or killed only when the op needs more "
     "frames than are free, busy only for a pinned frame; out-of-memory changes nothing",
     check_rc},
}};

}  // namespace

std::string_view invariant_name(InvariantId id) {
  for (auto [known, name] : kNames)
    if (known == id) return name;
  return "?";
}

bool is_stop(InvariantId id) {
  return id == InvariantId::CRASH || id == InvariantId::HANG || id == InvariantId::OOM ||
         id == InvariantId::EXIT;
}

std::optional<InvariantId> invariant_from_name(std::string_view name) {
  for (auto [id, known] : kNames)
    if (known == name) return id;
  return std::nullopt;
}

std::string to_string(const Violation& v) {
  std::string where;
  if (v.pid != 0) where += fmt::format(" pid {}", v.pid);
  if (v.vpn) where += fmt::format(" vpn {}", *v.vpn);
  if (v.frame != kNoFrame) where += fmt::format(" frame {}", v.frame);
  return fmt::format("{}{}: {}", invariant_name(v.id), where, v.detail);
}

std::span<const Invariant> invariant_table() { return kTable; }

std::optional<Violation> check_step(const Step& step) {
  for (const Invariant& inv : kTable)
    if (auto v = inv.check(step)) return v;
  return std::nullopt;
}

// As a step of an op that answers as the semantics says and touches
// nothing: a read of no process, whose checks are the state's alone.
std::optional<Violation> check_state(const Semantics& sem, const Snapshot& snap) {
  const Op none = Op::read(0, 0);
  const Outcome same = Outcome::error(Status::NoSuchProcess);
  return check_step(Step{none, same, same, sem, &snap, &snap});
}

}  // namespace cow
