#include "checker/random_engine.h"

#include <chrono>

#include "checker/campaign.h"
#include "checker/harness.h"

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

CheckResult check_random(const ImplFactory& make, const CheckOptions& asked) {
  auto start = std::chrono::steady_clock::now();
  CheckOptions options = asked;
  options.ops = supported_by(make, asked.ops);
  CampaignResult campaign = run_campaign(
      options, [&] { return std::make_unique<HarnessStepper>(make(), options.config); });
  CheckResult out = result_counts(campaign);
  if (campaign.failing && out.error.empty()) {
    std::vector<Op> ops =
        minimize_ops(make, options.config, *campaign.failing, campaign.violation.id);
    Trace trace = trace_ops(make(), options.config, ops, false);
    out.finding = finding_from_trace(std::move(ops), trace, campaign.violation);
  }
  // Both clocks include the concrete shrinking pass above.
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.shrink_seconds = campaign.shrink_seconds + (out.seconds - campaign.seconds);
  return out;
}

}  // namespace cow
