// k-induction (after pono's engines/kinduction.cpp). The base case is BMC
// (run_bmc with the same properties, clean to depth >= k). The step case
// asks Z3 for k steps that break nothing from ANY well-typed state,
// followed by one that breaks a property; UNSAT proves that no run of any
// length breaks one.
//
// Plain k-induction starts from unreachable states too, so it is tried
// first and, when it finds a counterexample to induction (CTI), tried again
// with the strengthening of lemmas.h assumed on the k states and required of
// the next one (and checked on every state the base case reaches).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checker/symbolic/bmc.h"
#include "checker/symbolic/deadline.h"
#include "checker/symbolic/transition_system.h"
#include "checker/symbolic/violations.h"

namespace cow::symbolic {

struct InductionAttempt {
  std::uint32_t k = 0;
  bool strengthened = false;
  Answer answer = Answer::Unknown;  // of the step case: unsat = proved
  std::string cti;                  // when sat: the counterexample to induction
  double seconds = 0;
};

struct InductionResult {
  bool proved = false;
  std::uint32_t k = 0;        // when proved
  bool strengthened = false;  // when proved
  std::vector<InductionAttempt> attempts;
  std::string unknown;  // why it stopped without a proof or a CTI
};

// Tries k = 1..max_k; `clean_depth` is how deep BMC found nothing for the
// same properties (the base case): no k above it is tried. Throws
// std::invalid_argument for an empty list of properties.
InductionResult run_k_induction(const TransitionSystem& ts, std::uint32_t max_k,
                                std::uint32_t clean_depth, const Deadline& deadline,
                                const std::vector<Property>& properties = invariant_properties());

}  // namespace cow::symbolic
