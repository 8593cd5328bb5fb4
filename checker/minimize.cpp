#include "checker/minimize.h"

#include "checker/harness.h"

namespace cow {

namespace {

// The length of the prefix that breaks `id`, or 0 when the run does not.
std::size_t failing_prefix(const ImplFactory& make, const Config& config,
                           const std::vector<Op>& ops, InvariantId id) {
  RunResult run = run_ops(make(), config, ops);
  return run.violation && run.violation->id == id ? run.failed_at + 1 : 0;
}

}  // namespace

std::vector<Op> minimize_ops(const ImplFactory& make, const Config& config, std::vector<Op> ops,
                             InvariantId id) {
  if (std::size_t n = failing_prefix(make, config, ops, id)) ops.resize(n);
  bool shrunk = true;
  while (shrunk) {
    shrunk = false;
    for (std::size_t i = ops.size(); i-- > 0;) {
      std::vector<Op> candidate = ops;
      candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(i));
      if (std::size_t n = failing_prefix(make, config, candidate, id)) {
        candidate.resize(n);
        ops = std::move(candidate);
        shrunk = true;
        break;
      }
    }
  }
  return ops;
}

}  // namespace cow
