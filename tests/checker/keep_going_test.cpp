// check --keep-going at the engine: every distinct bug once, the same for
// the same seed, bounded; and the reuse rule relaxed (--reuse optional).
#include "checker/keep_going.h"

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "app/registry.h"
#include "checker/random_engine.h"
#include "model/cow_model.h"

namespace cow {
namespace {

// Two independent bugs in one kernel: it never reuses a sole owner's frame
// (as an xv6 lab solution may), and exit forgets to drop its frames.
class CopiesAndLeaks : public model::CowModel {
 public:
  using CowModel::CowModel;
  std::unique_ptr<Implementation> clone() const override {
    return std::make_unique<CopiesAndLeaks>(*this);
  }

 protected:
  bool can_reuse_frame(const model::Pte&) const override { return false; }
  void exit_drop_page(model::Pte& pte) override { pte = model::Pte{}; }
};

// Two independent bugs each met at one step: fork leaves the parent's page
// writable, and exit forgets to drop its frames.
class ForkAndExitBugs : public model::CowModel {
 public:
  using CowModel::CowModel;
  std::unique_ptr<Implementation> clone() const override {
    return std::make_unique<ForkAndExitBugs>(*this);
  }

 protected:
  void fork_share_page(model::Pte& parent, model::Pte& child) override {
    bool writable = parent.writable;
    CowModel::fork_share_page(parent, child);
    parent.writable = writable;  // the parent's side is never write-protected
  }
  void exit_drop_page(model::Pte& pte) override { pte = model::Pte{}; }
};

ImplFactory copies_and_leaks(const Config& config) {
  return [config] { return std::make_unique<CopiesAndLeaks>(config); };
}

ImplFactory by_name(const std::string& name, const Config& config) {
  return [name, config] { return make_implementation(name, config); };
}

std::set<InvariantId> invariants(const KeepGoingResult& r) {
  std::set<InvariantId> ids;
  for (const KeptBug& bug : r.bugs) ids.insert(bug.finding.violation.id);
  return ids;
}

TEST(KeepGoing, TwoIndependentBugsAreTwoDistinctFindingsInOneRun) {
  CheckOptions options;
  options.runs = 1000;
  KeepGoingResult r = check_keep_going(copies_and_leaks(options.config), options, 20);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(r.stop, KeepGoingStop::RunsUsed);
  EXPECT_EQ(r.runs, 1000);
  EXPECT_EQ(invariants(r), (std::set<InvariantId>{InvariantId::REUSE, InvariantId::RC}));
  std::set<std::string> keys;
  int hits = 0;
  for (const KeptBug& bug : r.bugs) {
    EXPECT_TRUE(keys.insert(bug.key).second) << "reported twice: " << bug.key;
    EXPECT_TRUE(bug.finding.reproduced) << bug.key;
    EXPECT_LE(bug.finding.ops.size(), 8u) << bug.key;
    EXPECT_GE(bug.hits, 1);
    EXPECT_GE(bug.first_run, 1);
    hits += bug.hits;
  }
  EXPECT_LE(hits, r.runs);
  // The same bug met by many runs is one bug: far fewer bugs than hits.
  std::string all;
  for (const KeptBug& bug : r.bugs) all += bug.key + " (" + std::to_string(bug.hits) + " runs)\n";
  EXPECT_LT(r.bugs.size(), 8u) << all;
  EXPECT_GT(hits, static_cast<int>(r.bugs.size()));
}

TEST(KeepGoing, TwoBugsEachAtOneStepAreExactlyTwoFindings) {
  CheckOptions options;
  options.runs = 1000;
  ImplFactory make = [config = options.config] {
    return std::make_unique<ForkAndExitBugs>(config);
  };
  KeepGoingResult r = check_keep_going(make, options, 20);
  ASSERT_TRUE(r.error.empty()) << r.error;
  std::string all;
  for (const KeptBug& bug : r.bugs) all += bug.key + "\n";
  ASSERT_EQ(r.bugs.size(), 2u) << all;
  EXPECT_EQ(invariants(r), (std::set<InvariantId>{InvariantId::WP, InvariantId::RC})) << all;
}

TEST(KeepGoing, UnderOptionalReuseTheCopyIsNoBugAndTheLeakStillIs) {
  CheckOptions options;
  options.runs = 1000;
  options.config.reuse = ReuseRule::Optional;
  KeepGoingResult r = check_keep_going(copies_and_leaks(options.config), options, 20);
  ASSERT_TRUE(r.error.empty()) << r.error;
  EXPECT_EQ(invariants(r), std::set<InvariantId>{InvariantId::RC});
}

TEST(KeepGoing, TheSameSeedFindsTheSameBugsTheSameNumberOfTimes) {
  CheckOptions options;
  options.runs = 500;
  options.seed = 11;
  KeepGoingResult a = check_keep_going(copies_and_leaks(options.config), options, 20);
  KeepGoingResult b = check_keep_going(copies_and_leaks(options.config), options, 20);
  ASSERT_EQ(a.bugs.size(), b.bugs.size());
  for (std::size_t i = 0; i < a.bugs.size(); ++i) {
    EXPECT_EQ(a.bugs[i].key, b.bugs[i].key);
    EXPECT_EQ(a.bugs[i].hits, b.bugs[i].hits);
    EXPECT_EQ(a.bugs[i].first_run, b.bugs[i].first_run);
    EXPECT_EQ(a.bugs[i].finding.ops.size(), b.bugs[i].finding.ops.size());
  }
}

TEST(KeepGoing, StopsAtTheBugLimit) {
  CheckOptions options;
  options.runs = 1000;
  KeepGoingResult r = check_keep_going(copies_and_leaks(options.config), options, 1);
  EXPECT_EQ(r.bugs.size(), 1u);
  EXPECT_EQ(r.stop, KeepGoingStop::BugLimit);
  EXPECT_LT(r.runs, 1000);
}

TEST(KeepGoing, TheModelHasNoBugAndEveryRunIsRun) {
  CheckOptions options;
  options.runs = 500;
  KeepGoingResult r = check_keep_going(by_name("model", options.config), options, 20);
  EXPECT_TRUE(r.bugs.empty());
  EXPECT_EQ(r.runs, 500);
  EXPECT_EQ(r.stop, KeepGoingStop::RunsUsed);
}

// Copying where the policy would reuse is fine under --reuse optional: the
// mutant whose only bug is that passes, and every other built-in mutant is
// still caught (a reuse where the policy copies, or a copy that is wrong,
// is not a choice).
TEST(ReuseOptional, OnlyTheMutantThatJustCopiesPasses) {
  const std::set<std::string> only_copies{"mutant:copy-always"};
  for (const ImplInfo& info : implementations()) {
    if (!info.is_mutant || !info.name.starts_with("mutant:")) continue;
    CheckOptions options;
    options.runs = only_copies.count(info.name) ? 2000 : 1000;
    options.config.reuse = ReuseRule::Optional;
    CheckResult r = check_random(by_name(info.name, options.config), options);
    ASSERT_TRUE(r.error.empty()) << info.name << ": " << r.error;
    if (only_copies.count(info.name))
      EXPECT_FALSE(r.finding) << info.name << ": " << to_string(r.finding->violation);
    else
      EXPECT_TRUE(r.finding) << info.name << " was not caught under --reuse optional";
  }
}

TEST(ReuseOptional, TheModelAndTheFastImplementationPass) {
  for (const char* name : {"model", "fast"}) {
    CheckOptions options;
    options.runs = 2000;
    options.config.reuse = ReuseRule::Optional;
    CheckResult r = check_random(by_name(name, options.config), options);
    EXPECT_FALSE(r.finding) << name << ": " << to_string(r.finding->violation);
  }
}

}  // namespace
}  // namespace cow
