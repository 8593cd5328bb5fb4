// `linux` as `cowcheck check` runs it: the host beside the model, write
// faults told apart by PFN and compared.
#include "app/linux_check.h"

#include <filesystem>
#include <optional>

#include <gtest/gtest.h>

#include "app/registry.h"
#include "app/replay_by_name.h"
#include "checker/cow_file.h"
#include "checker/harness.h"
#include "checker/random_engine.h"
#include "impl/linux/access_fault.h"
#include "impl/linux/pagemap.h"
#include "tests/impl/linux/linux_test_util.h"

namespace cow {
namespace {

using linux_host::AccessReport;
using linux_host::classify_access;
using linux_host::kPagemapExclusive;
using linux_host::kPagemapPresent;

constexpr std::uint64_t entry(std::uint64_t pfn) { return kPagemapPresent | pfn; }

// A user store to a private anonymous page that was present before it.
Fault classify_write(bool maybe_write_protected, std::uint64_t before, std::uint64_t after,
                     bool reads_pfns, std::optional<std::uint32_t> faults = std::nullopt) {
  AccessReport report{true, MapKind::PrivateAnon, maybe_write_protected, before, after, faults};
  return classify_access(report, 0, reads_pfns);
}

TEST(LinuxWriteFault, TheFirstStoreAfterAForkFaultsAndThePfnTellsHow) {
  EXPECT_EQ(classify_write(true, entry(5), entry(9), true), Fault::CowCopy);
  EXPECT_EQ(classify_write(true, entry(5), entry(5) | kPagemapExclusive, true), Fault::CowReuse);
  EXPECT_EQ(classify_write(false, entry(5), entry(5), true), Fault::None);
}

// linux:thp counts the faults: a write that took none found its page
// writable already (its huge page reused whole), whatever the record says;
// one that took some is judged by the record, as without the count.
TEST(LinuxWriteFault, AWriteThatTookNoFaultReusedNothing) {
  EXPECT_EQ(classify_write(true, entry(5), entry(5), true, 0), Fault::None);
  EXPECT_EQ(classify_write(true, entry(5), entry(5), true, 1), Fault::CowReuse);
  EXPECT_EQ(classify_write(false, entry(5), entry(5), true, 2), Fault::None);
  EXPECT_EQ(classify_write(true, entry(5), entry(9), true, 2), Fault::CowCopy);
}

TEST(LinuxWriteFault, WithoutPfnsNothingCanBeTold) {
  EXPECT_EQ(classify_write(true, entry(5), entry(9), false), Fault::None);
  EXPECT_EQ(classify_write(true, kPagemapPresent, kPagemapPresent, true), Fault::None);
  EXPECT_EQ(classify_write(true, 5, 9, true), Fault::None);  // not present: no PFN
}

TEST(LinuxCheck, TheRegistryRunsTheHostAsABlackBox) {
  EXPECT_TRUE(known_implementation("linux"));
  std::unique_ptr<Implementation> impl = make_implementation("linux", Config{});
  ASSERT_NE(dynamic_cast<LinuxChecked*>(impl.get()), nullptr);
  EXPECT_FALSE(impl->snapshot());
  EXPECT_EQ(impl->apply(Op::fork(1)), Outcome::forked(2));
}

TEST(LinuxCheck, FiftyRandomRunsFindNoViolation) {
  CheckOptions options;
  options.runs = 50;
  options.seed = 7;
  Config config = options.config;
  CheckResult r = check_random([config] { return make_implementation("linux", config); }, options);
  EXPECT_TRUE(r.error.empty()) << r.error;
  EXPECT_FALSE(r.finding) << to_string(r.finding->violation);
  EXPECT_EQ(r.runs, 50);
  EXPECT_TRUE(linux_host::no_child_left());
}

// A forced write to text copies the file's page whether it was present or
// not, and writes a copy already the writer's in place: no COW decision.
TEST(LinuxWriteFault, AForcedWriteToTextCopiesTheFilesPageOnly) {
  auto forced = [](std::uint64_t before, std::uint64_t after) {
    AccessReport report{true, MapKind::Text, true, before, after, std::nullopt, true};
    return classify_access(report, 0, true);
  };
  EXPECT_EQ(forced(0, entry(7)), Fault::CowCopy);
  EXPECT_EQ(forced(entry(5) | linux_host::kPagemapFile, entry(7)), Fault::CowCopy);
  EXPECT_EQ(forced(entry(7), entry(7)), Fault::None);
}

// The model cannot follow lanes: after them the host goes on, checked on
// outcomes, and no fault is compared (a difference would be no finding).
TEST(LinuxCheck, AfterLanesTheHostGoesOnWithoutComparingFaults) {
  LinuxChecked checked(Config{});
  ASSERT_EQ(checked.apply(Op::thread(1)), Outcome::forked(2));
  std::vector<Call> calls = checked.run_lanes({{Op::write(1, 0, 1)}, {Op::write(2, 1, 2)}});
  ASSERT_EQ(calls.size(), 2u);
  for (const Call& call : calls) {
    EXPECT_EQ(call.outcome.status, Status::Ok) << to_string(call.op);
    EXPECT_LT(call.invoked, call.returned);
  }
  EXPECT_EQ(checked.apply(Op::read(2, 0)).value, 1u);
  EXPECT_EQ(checked.apply(Op::read(1, 1)).value, 2u);
  EXPECT_EQ(checked.apply(Op::fork(1)), Outcome::forked(3));
  checked.apply(Op::write(3, 0, 9));
  EXPECT_FALSE(checked.audit_last_step());
}

// docs/linux.md quotes these replays: on this host they pass, fault kinds
// compared with the model included.
TEST(LinuxCheck, TheDocumentedScenariosPassOnTheHost) {
  EXPECT_GE(linux_host::replay_documented_scenarios("docs/linux", "linux"), 5);
}

// A read-only pin is a reference the model does not know of: the host must
// copy (CVE-2020-29374) where the model, counting PTEs, reuses. The
// comparison has to say so.
std::optional<Violation> write_after_pinned_child_exits(const linux_host::LinuxOptions& options) {
  auto impl = std::make_unique<LinuxChecked>(Config{}, options);
  LinuxChecked& checked = *impl;
  Harness harness(std::move(impl), Config{});
  EXPECT_FALSE(harness.step(Op::fork(1)));
  checked.host().reference(2, 0);
  EXPECT_FALSE(harness.step(Op::exit(2)));
  return harness.step(Op::write(1, 0, 1));
}

TEST(LinuxCheck, AHostCopyWhereTheModelReusesIsAReuseViolation) {
  COWCHECK_SKIP_WITHOUT_PFNS();
  std::optional<Violation> v = write_after_pinned_child_exits({});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, InvariantId::REUSE);
  EXPECT_EQ(v->pid, 1u);
  EXPECT_NE(v->detail.find("the host copied where the model reuses"), std::string::npos)
      << v->detail;
}

TEST(LinuxCheck, OutcomesOnlyComparesNoFaults) {
  linux_host::LinuxOptions options;
  options.read_pfns = false;
  EXPECT_FALSE(write_after_pinned_child_exits(options));
}

}  // namespace
}  // namespace cow
