// Random sequences of every op the host runs, checked by the harness (what
// programs observe, ISO) and, op by op, against the model's fault kinds, up
// to the two ways Linux maps pages that the model does not copy: fork
// copies no PTE of a mapping without anonymous pages (shared, text, a
// private file never written), so the host pages in on the next touch where
// the model's fork copied the PTE; and a read fault on a file maps the
// page-cache pages around it too (fault-around), so the host has nothing to
// page in where the model does. Whether a page was brought in is no COW
// decision: `page-in` and no fault are one answer here, and every other
// fault kind (zero-fill, cow-copy, cow-reuse) must be the model's
// (docs/linux.md, "Where the host maps more or less than the model"). This
// is the comparison checker/linux_check.* is asked to adopt.
// COWCHECK_LINUX_CAMPAIGN_RUNS and COWCHECK_LINUX_CAMPAIGN_SEED widen a run
// by hand; the defaults keep it short.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "checker/random_engine.h"
#include "checker/step_audit.h"
#include "impl/linux/linux_cow.h"
#include "model/cow_model.h"
#include "tests/impl/linux/linux_test_util.h"

namespace cow::linux_host {
namespace {

// The model with frames enough never to run out beside a host that never does.
Config roomy(Config config) {
  config.frames = std::max(config.frames, config.pages * config.procs * 2 + 64);
  return config;
}

bool touches_page(OpKind kind) {
  return kind == OpKind::Write || kind == OpKind::Read || kind == OpKind::Copyout ||
         kind == OpKind::Pin || kind == OpKind::Memwrite;
}

// The fault with whether a page was brought in left out.
Fault cow_decision(Fault f) { return f == Fault::PageIn ? Fault::None : f; }

// What the host answered, per op kind: "write ok cow-copy" -> how often.
using Tally = std::map<std::string, std::uint64_t>;

class FaultComparedHost final : public Implementation, public StepAudit {
 public:
  FaultComparedHost(const Config& config, Tally& tally)
      : host_(config), model_(roomy(config)), tally_(tally) {}

  Outcome apply(const Op& op) override {
    finding_.reset();
    Outcome got = host_.apply(op);
    Outcome want = model_.apply(op);
    ++tally_[fmt::format("{} {} {}", op_kind_name(op.kind), status_name(got.status),
                         fault_name(got.fault))];
    if (!host_.reads_pfns() || !touches_page(op.kind) || got.status != Status::Ok ||
        want.status != Status::Ok || got.fault == want.fault)
      return got;
    if (cow_decision(got.fault) == cow_decision(want.fault)) {
      ++tally_[fmt::format("~ {}: host {}, model {}", op_kind_name(op.kind), fault_name(got.fault),
                           fault_name(want.fault))];
      return got;
    }
    finding_ = Violation{
        InvariantId::REUSE, op.pid, op.vpn, kNoFrame,
        fmt::format("{}: the host served it as {}, the model as {}", op_kind_name(op.kind),
                    fault_name(got.fault), fault_name(want.fault))};
    return got;
  }
  std::optional<Snapshot> snapshot() const override { return std::nullopt; }
  OpSet supported_ops() const override { return host_.supported_ops(); }
  std::optional<Violation> audit_last_step() const override { return finding_; }

 private:
  LinuxCow host_;
  model::CowModel model_;
  Tally& tally_;
  std::optional<Violation> finding_;
};

int env_or(const char* name, int fallback) {
  const char* text = std::getenv(name);
  return text ? std::atoi(text) : fallback;
}

std::string describe(const Finding& f) {
  std::string text = to_string(f.violation) + "\n";
  for (std::size_t i = 0; i < f.ops.size(); ++i)
    text += fmt::format("  {}  -> {}\n", to_string(f.ops[i]),
                        i < f.outcomes.size() ? to_string(f.outcomes[i]) : "(threw)");
  return text;
}

void run_campaign(Config config, std::uint64_t seed, int runs, int max_ops) {
  CheckOptions options;
  options.config = config;
  options.seed = static_cast<std::uint64_t>(env_or("COWCHECK_LINUX_CAMPAIGN_SEED", 0)) + seed;
  options.runs = env_or("COWCHECK_LINUX_CAMPAIGN_RUNS", runs);
  options.max_ops = max_ops;
  Tally tally;
  CheckResult r = check_random(
      [config, &tally] { return std::make_unique<FaultComparedHost>(config, tally); }, options);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_FALSE(r.finding) << describe(*r.finding);
  EXPECT_EQ(r.runs, options.runs);
  std::printf("%d runs, %llu ops; what the host answered:\n", r.runs,
              static_cast<unsigned long long>(r.ops));
  for (const auto& [answer, count] : tally)
    std::printf("  %-36s %llu\n", answer.c_str(), static_cast<unsigned long long>(count));
  EXPECT_TRUE(no_child_left());
}

TEST(LinuxCampaign, EveryOpAgreesWithTheSemanticsAndTheModelsFaults) {
  run_campaign(Config{}, 11, 100, 24);
}

TEST(LinuxCampaign, DeeperChainsOnMorePages) {
  Config config;
  config.pages = 8;
  config.procs = 12;
  config.words = 4;
  run_campaign(config, 23, 40, 48);
}

}  // namespace
}  // namespace cow::linux_host
