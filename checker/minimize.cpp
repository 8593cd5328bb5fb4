#include "checker/minimize.h"

#include "checker/campaign.h"
#include "checker/harness.h"

namespace cow {

std::vector<Op> minimize_ops(const ImplFactory& make, const Config& config, std::vector<Op> ops,
                             InvariantId id, int costly_runs, int* skipped) {
  int costly = 0;
  return shrink_ops(std::move(ops),
                    [&](const std::vector<Op>& candidate) -> std::optional<std::size_t> {
                      // Out of budget: the candidate counts as passing, unrun.
                      if (costly_to_rerun(id) && costly >= costly_runs) {
                        if (skipped) ++*skipped;
                        return std::nullopt;
                      }
                      Trace run = trace_from_start(make, config, candidate, false);
                      if (!run.violation || run.violation->id != id) return std::nullopt;
                      if (costly_to_rerun(id)) ++costly;
                      return run.steps.size();
                    });
}

}  // namespace cow
