#include "checker/symbolic/bmc.h"

namespace cow::symbolic {

std::string_view answer_name(Answer a) {
  switch (a) {
    case Answer::Unsat: return "unsat";
    case Answer::Sat: return "sat";
    case Answer::Unknown: return "unknown";
  }
  return "?";
}

namespace {

Answer answer_of(z3::check_result r) {
  return r == z3::sat ? Answer::Sat : r == z3::unsat ? Answer::Unsat : Answer::Unknown;
}

// One query under push/pop; the model is kept when it is SAT.
Answer ask(z3::solver& solver, const z3::expr& goal, const Deadline& deadline,
           std::optional<z3::model>* model, std::string* why) {
  if (deadline.expired()) {
    *why = "timeout";
    return Answer::Unknown;
  }
  solver.set("timeout", deadline.remaining_ms());
  solver.push();
  solver.add(goal);
  Answer a = answer_of(solver.check());
  if (a == Answer::Sat && model) model->emplace(solver.get_model());
  if (a == Answer::Unknown) *why = solver.reason_unknown();
  solver.pop();
  return a;
}

}  // namespace

BmcResult run_bmc(const TransitionSystem& ts, std::uint32_t max_depth, const Deadline& deadline,
                  const std::function<void(const DepthReport&)>& on_depth) {
  z3::context& ctx = ts.ctx();
  // QF_BV: bit-blasting to SAT, orders of magnitude faster here than the
  // default solver.
  z3::solver solver(ctx, "QF_BV");
  Unroller u(ts, "");
  solver.add(ts.init(u.state(0)));
  BmcResult result;
  for (std::uint32_t d = 1; d <= max_depth; ++d) {
    Deadline::Clock::time_point start = Deadline::Clock::now();
    solver.add(u.step(d).relation);
    const SymViolations& v = u.violations(d);
    DepthReport report{d, {}, 0};
    std::string why;
    // One query for all four first: at a clean depth that is all it takes.
    Answer any = ask(solver, v.any(), deadline, nullptr, &why);
    std::optional<z3::model> model;
    std::optional<InvariantId> found;
    for (std::size_t i = 0; i < kCheckedInvariants.size(); ++i) {
      InvariantId id = kCheckedInvariants[i];
      Answer a = any;
      if (any != Answer::Unsat)
        a = ask(solver, v.first(id), deadline, found ? nullptr : &model, &why);
      report.first_violation[i] = a;
      if (a == Answer::Sat && !found) found = id;
    }
    report.seconds = std::chrono::duration<double>(Deadline::Clock::now() - start).count();
    result.depths.push_back(report);
    if (on_depth) on_depth(report);
    if (found) {
      BmcCounterexample cex{*found, d, read_trace(*model, u, d), {}};
      for (std::uint32_t t = 0; t <= d; ++t) cex.states.push_back(describe_state(*model, u, t));
      result.counterexample = std::move(cex);
      return result;
    }
    if (any != Answer::Unsat) {
      result.unknown = why.empty() ? "unknown" : why;
      return result;
    }
    result.clean_depth = d;
    solver.add(!v.any());  // later depths extend runs that broke nothing
  }
  return result;
}

}  // namespace cow::symbolic
