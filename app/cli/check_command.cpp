// cowcheck check: the random engine against one or more implementations.
#include <memory>

#include "app/cli/campaign_command.h"
#include "app/cli/commands.h"
#include "checker/random_engine.h"

namespace cow::cli {

Command add_check(CLI::App& app) {
  auto campaign = std::make_shared<Campaign>();
  campaign->words = {"check",        "check",
                     "violation",    "VIOLATION of ",
                     "no violation", "ops/s",
                     "implementation(s) to check; a trailing * matches many ('mutant:*')"};
  campaign->engine = [](const Campaign&, const ImplFactory& make, const CheckOptions& options) {
    return check_random(make, options);
  };
  campaign->impls = {"model"};
  return add_campaign(app, campaign, 1000);
}

}  // namespace cow::cli
