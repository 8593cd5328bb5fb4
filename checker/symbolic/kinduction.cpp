#include "checker/symbolic/kinduction.h"

#include <stdexcept>

#include <fmt/format.h>

#include "checker/symbolic/lemmas.h"
#include "checker/symbolic/unroller.h"

namespace cow::symbolic {

namespace {

double seconds_since(Deadline::Clock::time_point start) {
  return std::chrono::duration<double>(Deadline::Clock::now() - start).count();
}

struct Goal {
  z3::expr bad;
  std::string what;  // "ISO", "lemma shared-is-cow"
};

// What the step into state t must not do: break a property, or (when
// strengthened) leave a state where a lemma fails.
std::vector<Goal> goals_at(Unroller& u, StepChecks& checks, std::uint32_t t, bool strengthened) {
  std::vector<Goal> goals;
  const SymViolations& v = checks.at(t);
  for (std::size_t i = 0; i < checks.properties().size(); ++i)
    for (const z3::expr& atom : v.atoms[i])
      goals.push_back({atom, std::string(invariant_name(checks.properties()[i].invariant))});
  if (strengthened)
    for (const Lemma& l : strengthening(u.system(), u.state(t)))
      for (const z3::expr& atom : l.atoms)
        goals.push_back({!atom, fmt::format("lemma {}", l.name)});
  return goals;
}

Search search_goals(z3::solver& solver, const std::vector<Goal>& goals, const Deadline& deadline) {
  std::vector<z3::expr> bad;
  for (const Goal& g : goals) bad.push_back(g.bad);
  return find_any(solver, bad, deadline);
}

std::string describe_cti(const z3::model& m, Unroller& u, std::uint32_t k,
                         const std::string& broke) {
  std::string text =
      fmt::format("  from this state (reachable or not):\n{}", describe_state(m, u, 0));
  SlotTrace trace = read_trace(m, u, k + 1);
  // A state with no history has no pids: the ops name process and pin slots.
  text += "  the ops (PID is a process slot, an unpin's ID a pin slot):\n";
  for (std::uint32_t t = 1; t <= k + 1; ++t) {
    const SlotOp& op = trace.ops[t - 1];
    text += fmt::format("  step {}: {}{}\n", t, to_string(as_op(op, op.slot, op.pin)),
                        t == k + 1 ? "   <-- " + broke : "");
  }
  text += fmt::format("  leads to:\n{}", describe_state(m, u, k + 1));
  return text;
}

// The step case for one k: from any well-typed state (satisfying the
// strengthening, if asked), k steps that break nothing, then one more.
InductionAttempt step_case(const TransitionSystem& ts, std::uint32_t k, bool strengthened,
                           const std::vector<Property>& properties, const Deadline& deadline,
                           std::string* why) {
  auto start = Deadline::Clock::now();
  z3::solver solver(ts.ctx(), "QF_BV");
  Unroller u(ts, strengthened ? "s" : "i");
  StepChecks checks(u, properties);
  solver.add(ts.well_typed(u.state(0)));
  for (std::uint32_t t = 0; t <= k; ++t) {
    if (strengthened) solver.add(strengthening_holds(ts, u.state(t)));
    if (t == 0) continue;
    solver.add(u.step(t).relation);
    solver.add(!checks.at(t).any());
  }
  solver.add(u.step(k + 1).relation);
  std::vector<Goal> goals = goals_at(u, checks, k + 1, strengthened);
  Search search = search_goals(solver, goals, deadline);
  InductionAttempt attempt{k, strengthened, search.answer, "", 0};
  if (search.answer == Answer::Sat)
    attempt.cti = describe_cti(*search.model, u, k, goals[search.goal].what);
  if (search.answer == Answer::Unknown) *why = search.why;
  attempt.seconds = seconds_since(start);
  return attempt;
}

// The strengthening's base case: it holds in every state reachable in up
// to k steps that break nothing. A lemma a real run breaks is a wrong lemma.
Answer lemmas_reachable(const TransitionSystem& ts, std::uint32_t k,
                        const std::vector<Property>& properties, const Deadline& deadline,
                        std::string* why, std::string* broken) {
  z3::solver solver(ts.ctx(), "QF_BV");
  Unroller u(ts, "b");
  StepChecks checks(u, properties);
  solver.add(ts.init(u.state(0)));
  for (std::uint32_t t = 0; t <= k; ++t) {
    if (t > 0) solver.add(u.step(t).relation);
    std::vector<Goal> goals;
    for (const Lemma& l : strengthening(ts, u.state(t)))
      for (const z3::expr& atom : l.atoms) goals.push_back({!atom, std::string(l.name)});
    Search search = search_goals(solver, goals, deadline);
    if (search.answer == Answer::Sat)
      *broken = fmt::format("lemma {} fails in a state reached in {} steps:\n{}",
                            goals[search.goal].what, t, describe_state(*search.model, u, t));
    if (search.answer == Answer::Unknown) *why = search.why;
    if (search.answer != Answer::Unsat) return search.answer;
    if (t > 0) solver.add(!checks.at(t).any());
  }
  return Answer::Unsat;
}

}  // namespace

InductionResult run_k_induction(const TransitionSystem& ts, std::uint32_t max_k,
                                std::uint32_t clean_depth, const Deadline& deadline,
                                const std::vector<Property>& properties) {
  if (properties.empty()) throw std::invalid_argument("run_k_induction: no properties to check");
  InductionResult result;
  for (std::uint32_t k = 1; k <= std::min(max_k, clean_depth); ++k) {
    for (bool strengthened : {false, true}) {
      std::string why;
      InductionAttempt attempt = step_case(ts, k, strengthened, properties, deadline, &why);
      if (attempt.answer == Answer::Unsat && strengthened) {
        std::string broken;
        Answer base = lemmas_reachable(ts, k, properties, deadline, &why, &broken);
        if (base != Answer::Unsat) {
          attempt.answer = base;
          attempt.cti = broken;
        }
      }
      result.attempts.push_back(attempt);
      if (attempt.answer == Answer::Unsat) {
        result.proved = true;
        result.k = k;
        result.strengthened = strengthened;
        return result;
      }
      if (attempt.answer == Answer::Unknown) {
        result.unknown = why.empty() ? "unknown" : why;
        return result;
      }
    }
  }
  if (result.attempts.empty()) result.unknown = "BMC found no clean depth to induct from";
  return result;
}

}  // namespace cow::symbolic
