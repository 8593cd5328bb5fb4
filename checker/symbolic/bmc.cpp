#include "checker/symbolic/bmc.h"

#include <stdexcept>

namespace cow::symbolic {

namespace {

std::vector<z3::expr> all_atoms(const SymViolations& v) {
  std::vector<z3::expr> atoms;
  for (const auto& list : v.atoms) atoms.insert(atoms.end(), list.begin(), list.end());
  return atoms;
}

// The property check_step would report for the run in `model`: the first
// in the list that the last step breaks.
std::size_t reported(const z3::model& model, const SymViolations& v) {
  for (std::size_t i = 0; i < v.atoms.size(); ++i)
    if (model.eval(v.of(i), true).is_true()) return i;
  return 0;  // unreachable: some atom held
}

}  // namespace

BmcResult run_bmc(const TransitionSystem& ts, std::uint32_t max_depth, const Deadline& deadline,
                  const std::function<void(const DepthReport&)>& on_depth,
                  const std::vector<Property>& properties) {
  if (properties.empty()) throw std::invalid_argument("run_bmc: no properties to check");
  // QF_BV: bit-blasting to SAT, orders of magnitude faster here than the
  // default solver.
  z3::solver solver(ts.ctx(), "QF_BV");
  Unroller u(ts, "");
  StepChecks checks(u, properties);
  solver.add(ts.init(u.state(0)));
  BmcResult result;
  for (std::uint32_t d = 1; d <= max_depth; ++d) {
    Deadline::Clock::time_point start = Deadline::Clock::now();
    solver.add(u.step(d).relation);
    const SymViolations& v = checks.at(d);
    Search search = find_any(solver, all_atoms(v), deadline);
    DepthReport report{d, std::vector<Answer>(properties.size(), search.answer), 0};
    if (search.answer == Answer::Sat) {
      // Which properties can be the one reported at this depth, for the
      // record; the counterexample is the run Z3 found first.
      std::size_t found = reported(*search.model, v);
      for (std::size_t i = 0; i < properties.size(); ++i) {
        if (i == found) continue;
        Search one = find_any(solver, {v.first(i)}, deadline);
        report.first_violation[i] = one.answer;
      }
      BmcCounterexample cex{properties[found].invariant, d, read_trace(*search.model, u, d), {}};
      for (std::uint32_t t = 0; t <= d; ++t)
        cex.states.push_back(describe_state(*search.model, u, t));
      result.counterexample = std::move(cex);
    }
    report.seconds = std::chrono::duration<double>(Deadline::Clock::now() - start).count();
    result.depths.push_back(report);
    if (on_depth) on_depth(report);
    if (search.answer == Answer::Sat) return result;
    if (search.answer == Answer::Unknown) {
      result.unknown = search.why.empty() ? "unknown" : search.why;
      return result;
    }
    result.clean_depth = d;
    // Later depths extend only runs that broke nothing, as the harness stops
    // at the first violation.
    for (const z3::expr& atom : all_atoms(v)) solver.add(!atom);
  }
  return result;
}

}  // namespace cow::symbolic
