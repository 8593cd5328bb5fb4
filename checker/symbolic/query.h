// Asking Z3, within a deadline. Goals are asked one at a time under
// push/pop on top of what the solver already holds, and the first one that
// can hold wins: many small queries beat one large disjunction here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <z3++.h>

#include "checker/symbolic/deadline.h"

namespace cow::symbolic {

enum class Answer : std::uint8_t { Unsat, Sat, Unknown };
std::string_view answer_name(Answer a);  // "unsat", "sat", "unknown"

// One check of what the solver holds now.
Answer check_within(z3::solver& solver, const Deadline& deadline, std::string* why);

struct Search {
  Answer answer = Answer::Unsat;   // Unsat: no goal can hold
  std::optional<z3::model> model;  // when Sat
  std::size_t goal = 0;            // when Sat: which goal held
  std::string why;                 // when Unknown
};

Search find_any(z3::solver& solver, const std::vector<z3::expr>& goals, const Deadline& deadline);

}  // namespace cow::symbolic
