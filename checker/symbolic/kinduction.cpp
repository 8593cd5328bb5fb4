#include "checker/symbolic/kinduction.h"

#include <fmt/format.h>

#include "checker/symbolic/lemmas.h"
#include "checker/symbolic/unroller.h"

namespace cow::symbolic {

namespace {

double seconds_since(Deadline::Clock::time_point start) {
  return std::chrono::duration<double>(Deadline::Clock::now() - start).count();
}

Answer check(z3::solver& solver, const Deadline& deadline, std::string* why) {
  if (deadline.expired()) {
    *why = "timeout";
    return Answer::Unknown;
  }
  solver.set("timeout", deadline.remaining_ms());
  z3::check_result r = solver.check();
  if (r == z3::unknown) *why = solver.reason_unknown();
  return r == z3::sat ? Answer::Sat : r == z3::unsat ? Answer::Unsat : Answer::Unknown;
}

// Names what the last step of a CTI broke: an invariant, or a lemma.
std::string what_broke(const z3::model& m, Unroller& u, std::uint32_t t, bool strengthened) {
  const SymViolations& v = u.violations(t);
  for (InvariantId id : kCheckedInvariants)
    if (m.eval(v.first(id), true).is_true()) return std::string(invariant_name(id));
  if (strengthened)
    for (const Lemma& l : strengthening(u.system(), u.state(t)))
      if (m.eval(l.holds, true).is_false()) return fmt::format("lemma {}", l.name);
  return "?";
}

std::string describe_cti(const z3::model& m, Unroller& u, std::uint32_t k, bool strengthened) {
  std::string text = fmt::format("  from this state (reachable or not):\n{}", describe_state(m, u, 0));
  SlotTrace trace = read_trace(m, u, k + 1);
  for (std::uint32_t t = 1; t <= k + 1; ++t)
    text += fmt::format("  step {}: {}{}\n", t, to_string(trace.ops[t - 1]),
                        t == k + 1 ? fmt::format("   <-- {}", what_broke(m, u, t, strengthened)) : "");
  text += fmt::format("  leads to:\n{}", describe_state(m, u, k + 1));
  return text;
}

// The step case for one k.
InductionAttempt step_case(const TransitionSystem& ts, std::uint32_t k, bool strengthened,
                           const Deadline& deadline, std::string* why) {
  auto start = Deadline::Clock::now();
  z3::solver solver(ts.ctx(), "QF_BV");
  Unroller u(ts, strengthened ? "s" : "i");
  solver.add(ts.well_typed(u.state(0)));
  for (std::uint32_t t = 0; t <= k; ++t) {
    if (strengthened) solver.add(strengthening_holds(ts, u.state(t)));
    if (t == 0) continue;
    solver.add(u.step(t).relation);
    solver.add(!u.violations(t).any());
  }
  solver.add(u.step(k + 1).relation);
  z3::expr bad = u.violations(k + 1).any();
  if (strengthened) bad = bad || !strengthening_holds(ts, u.state(k + 1));
  solver.add(bad);
  InductionAttempt attempt{k, strengthened, check(solver, deadline, why), "", 0};
  if (attempt.answer == Answer::Sat)
    attempt.cti = describe_cti(solver.get_model(), u, k, strengthened);
  attempt.seconds = seconds_since(start);
  return attempt;
}

// The strengthening's base case: it holds in every state reachable in up
// to k steps (steps that break nothing, which BMC already showed).
Answer lemmas_reachable(const TransitionSystem& ts, std::uint32_t k, const Deadline& deadline,
                        std::string* why, std::string* broken) {
  z3::solver solver(ts.ctx(), "QF_BV");
  Unroller u(ts, "b");
  solver.add(ts.init(u.state(0)));
  for (std::uint32_t t = 0; t <= k; ++t) {
    if (t > 0) solver.add(u.step(t).relation);
    solver.push();
    solver.add(!strengthening_holds(ts, u.state(t)));
    Answer a = check(solver, deadline, why);
    if (a == Answer::Sat) {
      z3::model m = solver.get_model();
      for (const Lemma& l : strengthening(ts, u.state(t)))
        if (m.eval(l.holds, true).is_false())
          *broken = fmt::format("lemma {} fails after {} steps:\n{}", l.name, t,
                                describe_state(m, u, t));
    }
    solver.pop();
    if (a != Answer::Unsat) return a;
    if (t > 0) solver.add(!u.violations(t).any());
  }
  return Answer::Unsat;
}

}  // namespace

InductionResult run_k_induction(const TransitionSystem& ts, std::uint32_t max_k,
                                std::uint32_t clean_depth, const Deadline& deadline) {
  InductionResult result;
  for (std::uint32_t k = 1; k <= std::min(max_k, clean_depth); ++k) {
    for (bool strengthened : {false, true}) {
      std::string why;
      InductionAttempt attempt = step_case(ts, k, strengthened, deadline, &why);
      if (attempt.answer == Answer::Unsat && strengthened) {
        std::string broken;
        Answer base = lemmas_reachable(ts, k, deadline, &why, &broken);
        if (base == Answer::Sat) {
          // A lemma that a real run breaks is wrong, not the model: say so.
          attempt.answer = Answer::Sat;
          attempt.cti = broken;
        } else if (base == Answer::Unknown) {
          attempt.answer = Answer::Unknown;
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
  if (result.attempts.empty()) result.unknown = "no depth to induct from: BMC found nothing clean";
  return result;
}

}  // namespace cow::symbolic
