// A black box shows no state, so the answers the semantics leaves open
// (out-of-memory, killed, busy) are judged from the model run beside it:
// the same mutants that white-box checking catches are caught with their
// snapshots hidden, and the model behind a black box still passes.
#include <gtest/gtest.h>

#include "app/registry.h"
#include "checker/harness.h"
#include "checker/random_engine.h"

namespace cow {
namespace {

// Any implementation, with its snapshot hidden.
class BlackBox : public Implementation {
 public:
  explicit BlackBox(std::unique_ptr<Implementation> inner) : inner_(std::move(inner)) {}
  Outcome apply(const Op& op) override { return inner_->apply(op); }
  std::optional<Snapshot> snapshot() const override { return std::nullopt; }

 private:
  std::unique_ptr<Implementation> inner_;
};

std::unique_ptr<Implementation> black(std::string_view name, const Config& config) {
  return std::make_unique<BlackBox>(make_implementation(name, config));
}

TEST(BlackBox, OutOfMemoryWithTheFrameStillFreeIsCaught) {
  Config config;  // 4 pages, 8 frames: four copies leave one frame free
  std::vector<Op> ops = {Op::fork(1), Op::write(2, 0, 1), Op::write(2, 1, 1), Op::write(2, 2, 1),
                         Op::write(2, 3, 1)};
  RunResult r = run_ops(black("mutant:alloc-keeps-reserve", config), config, ops);
  ASSERT_TRUE(r.violation);
  EXPECT_EQ(r.violation->id, InvariantId::RC) << to_string(*r.violation);
  EXPECT_EQ(r.failed_at, 4u);
  EXPECT_FALSE(run_ops(black("model", config), config, ops).violation);
}

TEST(BlackBox, BusyWithoutAPinIsCaught) {
  Config config;
  std::vector<Op> ops = {Op::pin_page(1, 0), Op::unpin(1), Op::swapout(1, 0)};
  RunResult r = run_ops(black("mutant:unpin-keeps-pincount", config), config, ops);
  ASSERT_TRUE(r.violation);
  EXPECT_EQ(r.violation->id, InvariantId::RC) << to_string(*r.violation);
  EXPECT_EQ(r.failed_at, 2u);
}

TEST(BlackBox, TheModelPassesAsABlackBoxUnderBothOomPolicies) {
  for (OomPolicy oom : {OomPolicy::Error, OomPolicy::Kill}) {
    CheckOptions options;
    options.config.oom = oom;
    options.runs = 500;
    CheckResult r = check_random([&] { return black("model", options.config); }, options);
    EXPECT_FALSE(r.finding) << to_string(r.finding->violation);
  }
}

TEST(BlackBox, TheRandomEngineCatchesBothMutantsWithItsDefaults) {
  for (std::string_view name : {"mutant:alloc-keeps-reserve", "mutant:unpin-keeps-pincount"}) {
    CheckOptions options;
    CheckResult r = check_random([&] { return black(name, options.config); }, options);
    ASSERT_TRUE(r.finding) << name;
    EXPECT_EQ(r.finding->violation.id, InvariantId::RC) << name;
  }
}

}  // namespace
}  // namespace cow
