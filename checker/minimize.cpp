#include "checker/minimize.h"

#include "checker/campaign.h"
#include "checker/harness.h"

namespace cow {

std::vector<Op> minimize_ops(const ImplFactory& make, const Config& config, std::vector<Op> ops,
                             InvariantId id) {
  return shrink_ops(std::move(ops), [&](const std::vector<Op>& candidate) {
    RunResult run = run_ops(make(), config, candidate);
    return run.violation && run.violation->id == id ? std::optional(run.failed_at + 1)
                                                    : std::nullopt;
  });
}

}  // namespace cow
