// Bounded model checking (after pono's engines/bmc.cpp): unroll from the
// initial state one step at a time and ask Z3, at each depth, whether the
// last step can break a property when no earlier one broke any. UNSAT at
// depth d means no sequence of d ops breaks one; never more than that.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "checker/symbolic/query.h"
#include "checker/symbolic/violations.h"
#include "checker/symbolic/witness.h"
#include "spec/invariants.h"

namespace cow::symbolic {

// One depth: for each property, can it be the first violation reported at
// this step?
struct DepthReport {
  std::uint32_t depth = 0;
  std::vector<Answer> first_violation;  // one per property, in the list's order
  double seconds = 0;                   // this depth's queries
};

struct BmcCounterexample {
  InvariantId invariant = InvariantId::ISO;  // the first property violated, list order
  std::uint32_t depth = 0;
  SlotTrace trace;
  std::vector<std::string> states;  // describe_state of states 0..depth
};

struct BmcResult {
  std::uint32_t clean_depth = 0;  // every depth 1..clean_depth is UNSAT for every property
  std::vector<DepthReport> depths;
  std::optional<BmcCounterexample> counterexample;
  std::string unknown;  // why the depth after clean_depth got no answer
};

// Throws std::invalid_argument for an empty list of properties.
BmcResult run_bmc(const TransitionSystem& ts, std::uint32_t max_depth, const Deadline& deadline,
                  const std::function<void(const DepthReport&)>& on_depth,
                  const std::vector<Property>& properties = invariant_properties());

}  // namespace cow::symbolic
