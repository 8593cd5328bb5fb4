// The invariants of spec/invariants.h over one symbolic step: when each of
// ISO, WP, REUSE and RC would report a violation. One function per
// spec/check_*.cpp, written to be read beside it.
#pragma once

#include <array>

#include <z3++.h>

#include "checker/symbolic/transition_system.h"
#include "spec/invariants.h"

namespace cow::symbolic {

// The four checked invariants, in check_step's table order.
inline constexpr std::array<InvariantId, 4> kCheckedInvariants = {
    InvariantId::ISO, InvariantId::WP, InvariantId::REUSE, InvariantId::RC};

struct SymViolations {
  z3::expr iso, wp, reuse, rc;

  const z3::expr& of(InvariantId id) const;
  z3::expr any() const { return iso || wp || reuse || rc; }
  // What check_step reports: `id` fails and nothing before it in the table.
  z3::expr first(InvariantId id) const;
};

SymViolations check_step(const TransitionSystem& ts, const SymStep& step);

}  // namespace cow::symbolic
