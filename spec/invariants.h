// The invariants as a table: an id used in messages, docs and .cow files,
// a one-line meaning, and a check that returns a located violation.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "spec/op.h"
#include "spec/outcome.h"
#include "spec/semantics.h"
#include "spec/snapshot.h"

namespace cow {

// ISO, WP, REUSE and RC are checks of one implementation (the table below);
// DIFF compares two. The rest are an implementation that stopped instead of
// returning an outcome: CRASH (a signal, a panic, an exception), HANG (no
// answer in time), OOM (killed at its memory limit), EXIT (called exit()).
enum class InvariantId : std::uint8_t { ISO, WP, REUSE, RC, DIFF, CRASH, HANG, OOM, EXIT };

std::string_view invariant_name(InvariantId id);

// CRASH, HANG, OOM, EXIT: the failing op returned no outcome at all.
bool is_stop(InvariantId id);
std::optional<InvariantId> invariant_from_name(std::string_view name);

struct Violation {
  InvariantId id = InvariantId::ISO;
  Pid pid = 0;             // 0: not about one process
  std::optional<Vpn> vpn;  // set when about one page
  Pfn frame = kNoFrame;    // set when about one frame
  std::string detail;
};

// "ISO pid 2 vpn 0: reads 7, the semantics says 0 ..."
std::string to_string(const Violation& v);

// Everything a check may look at for one step. The snapshots are null for a
// black-box implementation; the semantics is the state after the step.
struct Step {
  const Op& op;
  const Outcome& expected;
  const Outcome& actual;
  const Semantics& after;
  const Snapshot* snap_before;
  const Snapshot* snap_after;
  // What justifies an answer the semantics leaves open (out-of-memory,
  // killed, busy): the state before the op. `basis` is the implementation's
  // own snapshot, or for a black-box one the model's run beside it (null:
  // snap_before); `before` the semantics then (null: `after`, which an
  // out-of-memory answer leaves unchanged).
  const Snapshot* basis = nullptr;
  const Semantics* before = nullptr;
};

// Whether the semantics left `actual` as a choice that the state before the
// op must justify: out-of-memory, killed or busy where it expected success.
bool is_choice(const Outcome& expected, const Outcome& actual);

struct Invariant {
  InvariantId id;
  std::string_view description;
  std::optional<Violation> (*check)(const Step& step);
};

// ISO, WP, REUSE, RC, in the order check_step runs them.
std::span<const Invariant> invariant_table();

// The first violation of any invariant in table order, if any.
std::optional<Violation> check_step(const Step& step);

// The invariants of a state no op is in flight in (a quiescent point of a
// concurrent run): every page and pin holds what `sem` says (ISO), and the
// PTE (WP) and refcount (RC) rules. Nothing about an op's answer.
std::optional<Violation> check_state(const Semantics& sem, const Snapshot& snap);

}  // namespace cow
