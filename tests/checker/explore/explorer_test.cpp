// The exhaustive engine: the model's state space is what an independent
// count says, and complete; every mutant is caught at its shortest depth.
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include "app/registry.h"
#include "checker/explore/explorer.h"
#include "checker/harness.h"
#include "model/cow_model.h"
#include "model/mutants/mutants.h"

namespace cow::explore {
namespace {

ExploreResult explore_impl(const std::string& impl, const Config& machine, std::uint32_t values,
                           unsigned threads = 0, std::uint32_t max_depth = 0,
                           OpSet ops = kCoreOps) {
  ExploreOptions o;
  o.ops = ops;
  o.machine = machine;
  o.values = values;
  o.threads = threads;
  o.max_depth = max_depth;
  o.timeout_seconds = 120;
  return run_explore([&] { return make_implementation(impl, machine); }, o);
}

// The state counts were also found by a separate, brute-force Python
// breadth-first search over the same model (all process permutations, no
// signatures), so the dedup neither merges too much nor too little.
TEST(Explore, TheModelsStateSpaceIsCompleteAndClean) {
  ExploreResult small = explore_impl("model", Config{1, 3, 2, 2}, 2);
  EXPECT_TRUE(small.complete);
  EXPECT_FALSE(small.finding);
  EXPECT_EQ(small.states, 112u);
  EXPECT_EQ(small.transitions, 1632u);
  ExploreResult three = explore_impl("model", Config{1, 4, 3, 2}, 2);
  EXPECT_TRUE(three.complete);
  EXPECT_FALSE(three.finding);
  EXPECT_EQ(three.states, 1053u);
}

TEST(Explore, ThreadsChangeNothingButSpeed) {
  Config machine{1, 4, 3, 2};
  ExploreResult one = explore_impl("model", machine, 2, 1);
  ExploreResult two = explore_impl("model", machine, 2, 2);
  EXPECT_EQ(one.states, two.states);
  EXPECT_EQ(one.transitions, two.transitions);
  ExploreResult found1 = explore_impl("mutant:reuse-keeps-cow", machine, 2, 1);
  ExploreResult found2 = explore_impl("mutant:reuse-keeps-cow", machine, 2, 3);
  ASSERT_TRUE(found1.finding && found2.finding);
  EXPECT_EQ(found1.finding->ops, found2.finding->ops);
}

TEST(Explore, ADepthBoundIsNotExhaustive) {
  ExploreResult r = explore_impl("model", Config{1, 3, 2, 2}, 2, 0, 2);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.depth, 2u);
  EXPECT_TRUE(r.stopped.empty());
}

TEST(Explore, ATimeoutSaysSo) {
  ExploreOptions o;
  o.machine = Config{2, 8, 4, 1};
  o.values = 3;
  o.timeout_seconds = 0.2;
  ExploreResult r = run_explore([&] { return make_implementation("model", o.machine); }, o);
  EXPECT_FALSE(r.complete);
  EXPECT_EQ(r.stopped, "timeout");
}

TEST(Explore, NeedsSnapshotsAndClones) {
  EXPECT_THROW(explore_impl("no-such-implementation", Config{1, 3, 2, 2}, 1),
               std::invalid_argument);
}

// The model with only fork, write, read and exit, as a kernel that has no
// more would declare itself.
class CoreOnlyModel final : public model::CowModel {
 public:
  using CowModel::CowModel;
  OpSet supported_ops() const override { return kCoreOps; }
  std::unique_ptr<Implementation> clone() const override {
    return std::make_unique<CoreOnlyModel>(*this);
  }
};

// With none of the op kinds asked for, the search would try nothing and
// pass: it is refused as bad input, naming what was asked and what it does.
TEST(Explore, AnImplementationWithNoneOfTheAskedOpKindsIsRefused) {
  ExploreOptions o;
  o.machine = Config{1, 3, 2, 1};
  o.values = 1;
  o.ops = op_mask(OpKind::Pin) | op_mask(OpKind::Unpin);
  auto make = [&] { return std::make_unique<CoreOnlyModel>(o.machine); };
  std::string error;
  try {
    run_explore(make, o);
  } catch (const std::invalid_argument& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("none of the op kinds asked for (pin,unpin; it does fork,write,read,exit)"),
            std::string::npos)
      << error;
  // One kind asked that it has is enough: that much is searched.
  o.ops |= op_mask(OpKind::Fork);
  ExploreResult r = run_explore(make, o);
  EXPECT_TRUE(r.complete);
  EXPECT_GT(r.transitions, 0u);
}

struct Shortest {
  const char* mutant;
  std::size_t length;
  InvariantId invariant;
  OpSet ops = kCoreOps;  // the kinds the search tries; the bug needs one of them
};

constexpr OpSet kPins = kCoreOps | op_mask(OpKind::Pin) | op_mask(OpKind::Unpin);

class ExploreMutant : public ::testing::TestWithParam<Shortest> {};

TEST_P(ExploreMutant, IsCaughtAtItsShortestDepth) {
  Config machine{1, 3, 2, 2};
  std::string impl = std::string("mutant:") + GetParam().mutant;
  ExploreResult r = explore_impl(impl, machine, 2, 0, 0, GetParam().ops);
  ASSERT_TRUE(r.finding);
  EXPECT_TRUE(r.finding->reproduced);
  EXPECT_EQ(r.finding->ops.size(), GetParam().length);
  EXPECT_EQ(r.finding->violation.id, GetParam().invariant) << to_string(r.finding->violation);
  RunResult replay = run_ops(make_implementation(impl, machine), machine, r.finding->ops);
  ASSERT_TRUE(replay.violation);
  EXPECT_EQ(replay.failed_at + 1, r.finding->ops.size());
}

// The lengths are the ones prove shows minimal (engines_agree_test checks
// the two engines against each other on every mutant).
INSTANTIATE_TEST_SUITE_P(All, ExploreMutant,
                         ::testing::Values(Shortest{"child-table-memcpy", 1, InvariantId::WP},
                                           Shortest{"parent-left-writable", 1, InvariantId::WP},
                                           Shortest{"child-left-writable", 1, InvariantId::WP},
                                           Shortest{"fork-no-refcount", 1, InvariantId::RC},
                                           Shortest{"fork-drops-cow-bit", 1, InvariantId::WP},
                                           Shortest{"copy-always", 3, InvariantId::REUSE},
                                           Shortest{"reuse-shared", 2, InvariantId::ISO},
                                           Shortest{"reuse-keeps-cow", 3, InvariantId::REUSE},
                                           Shortest{"reuse-stays-readonly", 3, InvariantId::REUSE},
                                           Shortest{"copy-keeps-old-ref", 2, InvariantId::RC},
                                           Shortest{"copy-no-contents", 2, InvariantId::ISO},
                                           Shortest{"exit-leaks", 1, InvariantId::RC},
                                           Shortest{"copyout-no-cow", 2, InvariantId::ISO,
                                                    kCoreOps | op_mask(OpKind::Copyout)},
                                           Shortest{"swapout-one-pte", 2, InvariantId::ISO,
                                                    kCoreOps | op_mask(OpKind::Swapout)},
                                           Shortest{"fork-shares-pinned", 3, InvariantId::ISO,
                                                    kPins}),
                         [](const auto& info) {
                           std::string name = info.param.mutant;
                           for (char& c : name)
                             if (c == '-') c = '_';
                           return name;
                         });

TEST(Explore, CoversEveryBuiltInMutant) { EXPECT_EQ(model::builtin_mutants().size(), 17u); }

// With every op kind, the search still finds the model clean and reaches
// the historical pin bugs at their shortest: 3 ops under page count (a pin,
// a fork, the pinner's write), and 3 under map count as well (a fork, the
// child's read-only pin, the child's write copies away from its own pin).
TEST(Explore, EveryOpKindIsExploredAndThePolicyBugsAreShortest) {
  Config machine{1, 3, 2, 1};
  ExploreOptions o;
  o.machine = machine;
  o.values = 1;
  o.ops = kAllOps;
  o.max_depth = 4;
  o.timeout_seconds = 120;
  ExploreResult clean = run_explore([&] { return make_implementation("model", machine); }, o);
  EXPECT_FALSE(clean.finding) << to_string(clean.finding->violation);
  EXPECT_GT(clean.states, 100u);
  for (ReusePolicy p : {ReusePolicy::MapCount, ReusePolicy::PageCount}) {
    Config old = machine;
    old.policy = p;
    o.machine = old;
    ExploreResult r = run_explore([&] { return make_implementation("model", old); }, o);
    ASSERT_TRUE(r.finding) << policy_name(p);
    EXPECT_EQ(r.finding->ops.size(), 3u) << policy_name(p);
    EXPECT_EQ(r.finding->violation.id, InvariantId::ISO);
  }
}

}  // namespace
}  // namespace cow::explore
