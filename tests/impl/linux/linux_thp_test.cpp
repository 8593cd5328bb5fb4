// linux:thp: pid 1's pages in one PMD-mapped transparent huge page, and
// what this kernel does on COW faults in it (docs/linux.md, "Transparent
// huge pages"). Every test skips, saying why, where the host gives no huge
// page or hides PFNs.
#include <sys/prctl.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "app/linux_check.h"
#include "app/registry.h"
#include "app/replay_by_name.h"
#include "checker/cow_file.h"
#include "checker/harness.h"
#include "checker/random_engine.h"
#include "checker/step_audit.h"
#include "impl/linux/linux_cow.h"
#include "tests/impl/linux/linux_test_util.h"

namespace cow {
namespace {

using linux_host::HostUnsupported;
using linux_host::LinuxCow;
using linux_host::LinuxOptions;

constexpr LinuxOptions kThp{.thp = true};

// Why this host cannot run linux:thp, or empty; asked once.
const std::string& why_no_thp() {
  static const std::string why = [] {
    try {
      LinuxCow probe(Config{}, kThp);
      return std::string();
    } catch (const HostUnsupported& e) {
      return std::string(e.what());
    }
  }();
  return why;
}

#define COWCHECK_SKIP_WITHOUT_THP()                                       \
  do {                                                                    \
    if (!why_no_thp().empty()) GTEST_SKIP() << why_no_thp();              \
    if (!linux_host::host_reads_pfns())                                   \
      GTEST_SKIP() << "/proc/self/pagemap shows no PFNs here (not root)"; \
  } while (0)

// AnonHugePages of a host process, from the kernel's own accounting.
std::uint64_t anon_huge_kib(pid_t host) {
  std::ifstream smaps(fmt::format("/proc/{}/smaps_rollup", host));
  std::string line;
  while (std::getline(smaps, line))
    if (line.starts_with("AnonHugePages:")) return std::stoull(line.substr(14));
  return 0;
}

Config with_reuse(ReuseRule reuse) {
  Config config;
  config.reuse = reuse;
  return config;
}

TEST(LinuxThp, PidOnesPagesAreOnePmdMappedHugePage) {
  COWCHECK_SKIP_WITHOUT_THP();
  LinuxCow host(Config{}, kThp);
  std::optional<pid_t> pid1 = host.host_pid(1);
  ASSERT_TRUE(pid1);
  EXPECT_EQ(anon_huge_kib(*pid1), 2048u);
  EXPECT_NE(host.describe().find("one PMD-mapped transparent huge page"), std::string::npos);
  Outcome wrote = host.apply(Op::write(1, 0, 7));
  EXPECT_EQ(wrote.fault, Fault::None);
  EXPECT_TRUE(host.last_thp().pmd_before);
  EXPECT_TRUE(host.last_thp().folio_before);
}

TEST(LinuxThp, MorePagesThanOneHugePageHoldsIsRefusedAsBadInput) {
  Config config;
  config.pages = 513;
  config.frames = 1024;
  EXPECT_THROW(LinuxCow(config, kThp), HostUnsupported);
}

// A host that gives no huge page is bad input for the mode, said as such:
// PR_SET_THP_DISABLE, which the servers inherit, makes this one refuse.
TEST(LinuxThp, AProcessWithoutThpGetsNoHugePage) {
  if (!why_no_thp().empty()) GTEST_SKIP() << why_no_thp();
  ASSERT_EQ(::prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0), 0);
  std::string error;
  try {
    LinuxCow host(Config{}, kThp);
  } catch (const HostUnsupported& e) {
    error = e.what();
  }
  ::prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0);
  EXPECT_NE(error.find("the host gave no huge page"), std::string::npos) << error;
  EXPECT_NE(error.find("this process has THP disabled"), std::string::npos) << error;
  EXPECT_TRUE(linux_host::no_child_left());
  LinuxCow again(Config{}, kThp);  // the process has huge pages again
}

// A write to a huge page a fork shares: the kernel splits the writer's PMD
// and copies the one 4 KiB page, as the model copies it.
TEST(LinuxThp, AWriteToASharedHugePageSplitsItAndCopiesOnePage) {
  COWCHECK_SKIP_WITHOUT_THP();
  LinuxCow host(Config{}, kThp);
  ASSERT_EQ(host.apply(Op::fork(1)).child, 2u);
  EXPECT_EQ(host.apply(Op::write(1, 0, 5)).fault, Fault::CowCopy);
  EXPECT_TRUE(host.last_thp().pmd_before);
  EXPECT_FALSE(host.last_thp().pmd_after);
  EXPECT_EQ(host.apply(Op::read(2, 0)).value, 0u);
  // The rest of the writer's huge page is still shared: page 1 copies too.
  EXPECT_EQ(host.apply(Op::write(1, 1, 6)).fault, Fault::CowCopy);
  EXPECT_TRUE(host.last_thp().folio_before);
}

// The sole owner's write reuses the whole huge page in place: every page of
// it is writable after one fault, and the checker accepts the next page's
// write without a fault, saying why.
TEST(LinuxThp, TheSoleOwnerReusesTheWholeHugePageAtOnce) {
  COWCHECK_SKIP_WITHOUT_THP();
  auto impl = std::make_unique<LinuxChecked>(Config{}, kThp);
  LinuxChecked& checked = *impl;
  Harness harness(std::move(impl), Config{});
  EXPECT_FALSE(harness.step(Op::fork(1)));
  EXPECT_FALSE(harness.step(Op::exit(2)));
  EXPECT_FALSE(harness.step(Op::write(1, 0, 1)));
  EXPECT_TRUE(checked.host().last_thp().reused_whole);
  EXPECT_TRUE(checked.host().last_thp().pmd_after);
  EXPECT_FALSE(harness.step(Op::write(1, 1, 2)));
  EXPECT_TRUE(checked.host().last_thp().reused_ahead);
  EXPECT_NE(checked.last_allowance().find("made writable with its whole huge page"),
            std::string::npos);
}

// After the parent copied its page, the child maps that page alone, but the
// parent still maps the rest of the huge page: the kernel copies where the
// model reuses. A REUSE finding with the reason under the required rule, a
// copy allowed (with the reason) under --reuse optional.
std::pair<std::optional<Violation>, std::string> child_writes_after_parent_copied(ReuseRule rule) {
  Config config = with_reuse(rule);
  auto impl = std::make_unique<LinuxChecked>(config, kThp);
  LinuxChecked& checked = *impl;
  Harness harness(std::move(impl), config);
  EXPECT_FALSE(harness.step(Op::fork(1)));
  EXPECT_FALSE(harness.step(Op::write(1, 0, 1)));
  std::optional<Violation> v = harness.step(Op::write(2, 0, 2));
  return {v, checked.last_allowance()};
}

TEST(LinuxThp, ACopyWhereTheModelReusesIsAFindingUnlessReuseIsOptional) {
  COWCHECK_SKIP_WITHOUT_THP();
  auto [required, not_allowed] = child_writes_after_parent_copied(ReuseRule::Required);
  ASSERT_TRUE(required);
  EXPECT_EQ(required->id, InvariantId::REUSE);
  EXPECT_EQ(required->pid, 2u);
  EXPECT_NE(required->detail.find("part of a transparent huge page"), std::string::npos);
  EXPECT_NE(required->detail.find("--reuse optional"), std::string::npos);
  EXPECT_TRUE(not_allowed.empty());
  auto [optional, allowed] = child_writes_after_parent_copied(ReuseRule::Optional);
  EXPECT_FALSE(optional) << to_string(*optional);
  EXPECT_NE(allowed.find("copied where reuse was possible"), std::string::npos);
}

// A pin holds the whole huge page, so a fork copies every page of it for
// the child where the model copies the pinned page alone.
TEST(LinuxThp, AForkCopiesEveryPageOfAPinnedHugePage) {
  COWCHECK_SKIP_WITHOUT_THP();
  LinuxCow host(Config{}, kThp);
  if (!op_in(host.supported_ops(), OpKind::Pin)) GTEST_SKIP() << host.describe();
  ASSERT_EQ(host.apply(Op::pin_page(1, 0, true)).status, Status::Ok);
  ASSERT_EQ(host.apply(Op::fork(1)).child, 2u);
  EXPECT_EQ(host.last_fork_copied(), Config{}.pages);
  EXPECT_EQ(host.apply(Op::write(1, 1, 9)).fault, Fault::None);
  EXPECT_EQ(host.apply(Op::read(2, 1)).value, 0u);
}

TEST(LinuxThp, ThePinnedHugePagesForkIsJudgedByTheReuseRule) {
  COWCHECK_SKIP_WITHOUT_THP();
  for (ReuseRule rule : {ReuseRule::Required, ReuseRule::Optional}) {
    Config config = with_reuse(rule);
    auto impl = std::make_unique<LinuxChecked>(config, kThp);
    LinuxChecked& checked = *impl;
    Harness harness(std::move(impl), config);
    EXPECT_FALSE(harness.step(Op::pin_page(1, 0, true)));
    std::optional<Violation> v = harness.step(Op::fork(1));
    if (rule == ReuseRule::Required) {
      ASSERT_TRUE(v);
      EXPECT_NE(v->detail.find("the fork copied 4 pages for the child where the model copies 1"),
                std::string::npos)
          << v->detail;
      continue;
    }
    EXPECT_FALSE(v) << to_string(*v);
    EXPECT_NE(checked.last_allowance().find("faults are not compared"), std::string::npos);
    // The parent's write takes no fault where the model copies: not judged.
    EXPECT_FALSE(harness.step(Op::write(1, 1, 9)));
  }
}

// docs/linux/thp/*.cow, quoted in docs/linux.md: each passes on this host
// under the rule its file names.
TEST(LinuxThp, TheDocumentedScenariosPass) {
  COWCHECK_SKIP_WITHOUT_THP();
  EXPECT_GE(linux_host::replay_documented_scenarios("docs/linux/thp", "linux:thp"), 4);
  EXPECT_TRUE(linux_host::no_child_left());
}

// Random sequences of every op under --reuse optional: no finding, and no
// process left behind.
TEST(LinuxThp, EveryOpPassesUnderOptionalReuse) {
  COWCHECK_SKIP_WITHOUT_THP();
  CheckOptions options;
  options.config = with_reuse(ReuseRule::Optional);
  options.seed = 7;
  options.runs = 60;
  Config config = options.config;
  CheckResult r =
      check_random([config] { return make_implementation("linux:thp", config); }, options);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_FALSE(r.finding) << to_string(r.finding->violation);
  EXPECT_EQ(r.runs, 60);
  EXPECT_TRUE(linux_host::no_child_left());
}

// What the host answered, per op kind ("write ok cow-copy" -> how often),
// and each difference from the model that the checker accepted, by reason.
using Tally = std::map<std::string, std::uint64_t>;

class TalliedHost final : public Implementation, public StepAudit {
 public:
  TalliedHost(const Config& config, Tally& tally) : checked_(config, kThp), tally_(tally) {}

  Outcome apply(const Op& op) override {
    Outcome got = checked_.apply(op);
    ++tally_[fmt::format("{} {} {}", op_kind_name(op.kind), status_name(got.status),
                         fault_name(got.fault))];
    const linux_host::ThpFacts& thp = checked_.host().last_thp();
    if (thp.pmd_before)
      ++tally_[fmt::format("~ {} of a PMD-mapped page: {}, PMD {}", op_kind_name(op.kind),
                           fault_name(got.fault), thp.pmd_after ? "kept" : "split")];
    else if (thp.folio_before)
      ++tally_[fmt::format("~ {} of a PTE-mapped THP page: {}", op_kind_name(op.kind),
                           fault_name(got.fault))];
    const std::string& allowed = checked_.last_allowance();
    if (!allowed.empty())
      ++tally_[fmt::format("~ {} accepted: {}", op_kind_name(op.kind),
                           allowed.substr(0, allowed.find(':')))];
    return got;
  }
  std::optional<Snapshot> snapshot() const override { return std::nullopt; }
  OpSet supported_ops() const override { return checked_.supported_ops(); }
  MapSet supported_map_kinds() const override { return checked_.supported_map_kinds(); }
  std::optional<Violation> audit_last_step() const override { return checked_.audit_last_step(); }

 private:
  LinuxChecked checked_;
  Tally& tally_;
};

int env_or(const char* name, int fallback) {
  const char* text = std::getenv(name);
  return text ? std::atoi(text) : fallback;
}

// The figures docs/linux.md quotes, at COWCHECK_LINUX_CAMPAIGN_RUNS and
// COWCHECK_LINUX_CAMPAIGN_SEED; short by default.
TEST(LinuxThpCampaign, WhatTheHostAnswersPerOp) {
  COWCHECK_SKIP_WITHOUT_THP();
  CheckOptions options;
  options.config = with_reuse(ReuseRule::Optional);
  options.seed = static_cast<std::uint64_t>(env_or("COWCHECK_LINUX_CAMPAIGN_SEED", 0)) + 31;
  options.runs = env_or("COWCHECK_LINUX_CAMPAIGN_RUNS", 40);
  Config config = options.config;
  Tally tally;
  CheckResult r = check_random(
      [config, &tally] { return std::make_unique<TalliedHost>(config, tally); }, options);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_FALSE(r.finding) << to_string(r.finding->violation);
  std::printf("%d runs, %llu ops; what the host answered:\n", r.runs,
              static_cast<unsigned long long>(r.ops));
  for (const auto& [answer, count] : tally)
    std::printf("  %-48s %llu\n", answer.c_str(), static_cast<unsigned long long>(count));
  EXPECT_TRUE(linux_host::no_child_left());
}

}  // namespace
}  // namespace cow
