// The inductive strengthening: facts about every reachable state of the
// model that the invariants (checked one step at a time) do not state on
// their own. Plain k-induction starts from any well-typed state, including
// ones no run reaches — a page both read-only and not cow, say, which a
// later write turns into a protection fault — so it cannot close without
// these.
#pragma once

#include <string_view>
#include <vector>

#include <z3++.h>

#include "checker/symbolic/transition_system.h"

namespace cow::symbolic {

// One fact about a state, as conjuncts (one per frame or PTE): Z3 is asked
// about each alone, for the reason SymViolations keeps atoms.
struct Lemma {
  std::string_view name;
  std::string_view meaning;
  std::vector<z3::expr> atoms;

  z3::expr holds() const;
};

std::vector<Lemma> strengthening(const TransitionSystem& ts, const SymState& state);

// All of them at once.
z3::expr strengthening_holds(const TransitionSystem& ts, const SymState& state);

}  // namespace cow::symbolic
