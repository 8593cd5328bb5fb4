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
  campaign->words = {"diff",
                     "diff model",
                     "difference",
                     "",
                     "no difference",
                     "checked ops/s",
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
  Command campaign_run = add_campaign(app, campaign, 100000);
  // The model always reuses where its policy says so, and diff compares
  // every fault and every canonical state with it: an implementation that
  // copies instead would differ at that fault and at every state after it
  // (a pinned frame copied away stays allocated). check --reuse optional
  // judges such an implementation by the invariants instead.
  Command run = [campaign, campaign_run] {
    if (campaign->options.config.reuse != ReuseRule::Required)
      throw UsageError(
          "diff does not take --reuse optional: it compares every fault and state with the "
          "model, which reuses a sole owner's frame; use check --reuse optional (the "
          "invariants accept a copy there)");
    if (campaign->options.config.paging != Paging::Demand)
      throw UsageError(
          "diff does not take --paging eager: the model takes frames on demand, so its states "
          "differ from an eager kernel's at every mmap; use check --paging eager");
    return campaign_run();
  };
  app.add_option(kSnapshotEvery, snapshot_every,
                 "compare the canonical states every K ops (and always at the end)")
      ->check(integer_in(1, 100000))
      ->capture_default_str();
  return run;
}

}  // namespace cow::cli
