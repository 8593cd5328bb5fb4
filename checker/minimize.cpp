#include "checker/minimize.h"

#include "checker/campaign.h"
#include "checker/harness.h"

namespace cow {

std::vector<Op> minimize_ops(const ImplFactory& make, const Config& config, std::vector<Op> ops,
                             InvariantId id, int costly_runs, int* skipped, bool costly_always) {
  bool bounded = costly_always || costly_to_rerun(id);
  int costly = 0;
  return shrink_ops(std::move(ops),
                    [&](const std::vector<Op>& candidate) -> std::optional<std::size_t> {
                      // Out of budget: the candidate counts as passing, unrun.
                      if (bounded && costly >= costly_runs) {
                        if (skipped) ++*skipped;
                        return std::nullopt;
                      }
                      Trace run = trace_from_start(make, config, candidate, false);
                      if (!run.violation || run.violation->id != id) return std::nullopt;
                      if (bounded) ++costly;
                      return run.steps.size();
                    });
}

}  // namespace cow
