#include "checker/symbolic/query.h"

namespace cow::symbolic {

std::string_view answer_name(Answer a) {
  switch (a) {
    case Answer::Unsat: return "unsat";
    case Answer::Sat: return "sat";
    case Answer::Unknown: return "unknown";
  }
  return "?";
}

Answer check_within(z3::solver& solver, const Deadline& deadline, std::string* why) {
  if (deadline.expired()) {
    *why = "timeout";
    return Answer::Unknown;
  }
  solver.set("timeout", deadline.remaining_ms());
  z3::check_result r = solver.check();
  if (r == z3::sat) return Answer::Sat;
  if (r == z3::unsat) return Answer::Unsat;
  *why = solver.reason_unknown();
  if (*why == "canceled" || deadline.expired()) *why = "timeout";
  return Answer::Unknown;
}

Search find_any(z3::solver& solver, const std::vector<z3::expr>& goals, const Deadline& deadline) {
  Search search;
  for (std::size_t i = 0; i < goals.size(); ++i) {
    solver.push();
    solver.add(goals[i]);
    Answer a = check_within(solver, deadline, &search.why);
    if (a == Answer::Sat) {
      search.model.emplace(solver.get_model());
      search.goal = i;
    }
    solver.pop();
    if (a != Answer::Unsat) {
      search.answer = a;
      return search;
    }
  }
  return search;
}

}  // namespace cow::symbolic
