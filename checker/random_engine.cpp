#include "checker/random_engine.h"

#include <chrono>

#include "checker/campaign.h"
#include "checker/harness.h"
#include "checker/minimize.h"

namespace cow {

namespace {

// One implementation beside the semantics, every invariant after every op.
class HarnessStepper : public Stepper {
 public:
  HarnessStepper(std::unique_ptr<Implementation> impl, const Config& config)
      : harness_(std::move(impl), config) {}
  const Semantics& semantics() const override { return harness_.semantics(); }
  std::optional<Violation> step(const Op& op) override { return harness_.step(op); }

 private:
  Harness harness_;
};

}  // namespace

StepperFactory harness_steppers(const ImplFactory& make, const Config& config) {
  return [make, config] { return std::make_unique<HarnessStepper>(make(), config); };
}

CheckResult check_random(const ImplFactory& make, const CheckOptions& asked) {
  auto start = std::chrono::steady_clock::now();
  CheckOptions options = asked;
  StartProbe probe = probe_start(make, asked.ops);
  if (probe.stopped) {
    CheckResult out = start_failure_result(*probe.stopped);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }
  if (!probe.error.empty()) {
    CheckResult out;
    out.error = probe.error;
    return out;
  }
  options.ops = probe.ops;
  options.maps = probe.maps;
  CampaignResult campaign = run_campaign(options, harness_steppers(make, options.config));
  CheckResult out = result_counts(campaign);
  if (campaign.failing && out.error.empty()) {
    int skipped = 0;
    std::vector<Op> ops =
        campaign.failing->empty()
            ? *campaign.failing
            : minimize_ops(make, options.config, *campaign.failing, campaign.violation.id,
                           options.costly_shrink_runs, &skipped, options.costly_runs);
    Trace trace = trace_from_start(make, options.config, ops);
    out.finding = finding_from_trace(std::move(ops), trace, campaign.violation);
    if (campaign.shrinks_skipped > 0)
      out.finding->notes.push_back(
          campaign_shrink_note(campaign.shrinks_skipped, campaign.violation.id));
    if (skipped > 0)
      out.finding->notes.push_back(
          shrink_note(skipped, options.costly_shrink_runs, campaign.violation.id));
  }
  // Both clocks include the concrete shrinking pass above.
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.shrink_seconds = campaign.shrink_seconds + (out.seconds - campaign.seconds);
  return out;
}

}  // namespace cow
