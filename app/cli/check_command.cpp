// cowcheck check: the random engine against one or more implementations.
#include <memory>

#include "app/cli/campaign_command.h"
#include "app/cli/commands.h"
#include "checker/keep_going.h"
#include "checker/random_engine.h"

namespace cow::cli {

Command add_check(CLI::App& app) {
  auto campaign = std::make_shared<Campaign>();
  campaign->words = {"check",
                     "check",
                     "violation",
                     "VIOLATION of ",
                     "no violation",
                     "ops/s",
                     "implementation(s) to check; a trailing * matches many ('mutant:*')"};
  campaign->engine = [](const Campaign&, const ImplFactory& make, const CheckOptions& options) {
    return check_random(make, options);
  };
  campaign->keep_going_engine = [](const ImplFactory& make, const CheckOptions& options,
                                   int max_bugs) {
    return check_keep_going(make, options, max_bugs);
  };
  campaign->impls = {"model"};
  Command run = add_campaign(app, campaign, 1000);
  app.add_flag("--keep-going", campaign->keep_going,
               "go on after a violation: report each distinct bug once (by invariant, the op "
               "kinds of its shrunk counterexample and whose page it hurts), with how many runs "
               "hit it and one .cow file each; stops when --runs are used up or at --max-bugs");
  app.add_option("--max-bugs", campaign->max_bugs,
                 "with --keep-going: stop after this many distinct bugs")
      ->check(CLI::Range(1, 1000))
      ->capture_default_str();
  return run;
}

}  // namespace cow::cli
