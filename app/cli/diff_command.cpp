// cowcheck diff: the differential engine, the model against one or more
// implementations in lock step.
#include <memory>

#include "app/cli/bounded_option.h"
#include "app/cli/campaign_command.h"
#include "app/cli/commands.h"
#include "app/registry.h"
#include "checker/diff_engine.h"

namespace cow::cli {

namespace {

constexpr const char* kSnapshotEvery = "--snapshot-every";

}  // namespace

Command add_diff(CLI::App& app) {
  auto campaign = std::make_shared<Campaign>();
  campaign->words = {"diff",          "diff model",
                     "difference",    "",
                     "no difference", "checked ops/s",
                     "implementation(s) to run against the model; a trailing * matches many"};
  campaign->engine = [](const Campaign& c, const ImplFactory& make, const CheckOptions& options) {
    return diff_random(implementation_factory("model", options.config), make,
                       DiffOptions{options, c.engine_flags.at(kSnapshotEvery)});
  };
  campaign->impls = {"fast"};
  campaign->file_notes = {
      "replays as a differential run: the model and the implementation in lock step, states "
      "compared after every op"};
  int& snapshot_every = campaign->engine_flags[kSnapshotEvery] = DiffOptions{}.snapshot_every;
  Command run = add_campaign(app, campaign, 100000);
  app.add_option(kSnapshotEvery, snapshot_every,
                 "compare the canonical states every K ops (and always at the end)")
      ->check(integer_in(1, 100000))
      ->capture_default_str();
  return run;
}

}  // namespace cow::cli
