// The live kernel driven through impl/linux: what programs observe (every
// host), and how write faults are served (where PFNs are readable).
#include "impl/linux/linux_cow.h"

#include <gtest/gtest.h>

#include "tests/impl/linux/linux_test_util.h"

namespace cow::linux_host {
namespace {

Outcome wrote(Fault f) { return Outcome::wrote(f); }

TEST(LinuxCow, ForkIsolatesParentAndChildBothWays) {
  LinuxCow host(Config{});
  EXPECT_EQ(host.apply(Op::write(1, 0, 1)).status, Status::Ok);
  EXPECT_EQ(host.apply(Op::fork(1)), Outcome::forked(2));
  EXPECT_EQ(host.apply(Op::read(2, 0)), Outcome::read(1));  // the child sees the past
  host.apply(Op::write(2, 0, 2));
  EXPECT_EQ(host.apply(Op::read(1, 0)), Outcome::read(1));  // the parent never sees the child
  host.apply(Op::write(1, 0, 3, 1));
  EXPECT_EQ(host.apply(Op::read(2, 0, 1)), Outcome::read(0));  // nor the child the parent
  EXPECT_EQ(host.apply(Op::read(1, 0, 1)), Outcome::read(3));
  EXPECT_EQ(host.apply(Op::read(2, 0)), Outcome::read(2));
}

TEST(LinuxCow, DeepChainKeepsEveryGenerationApart) {
  LinuxCow host(with_procs(8));
  for (Pid pid = 1; pid < 8; ++pid) {
    host.apply(Op::write(pid, 1, 100 + pid));
    ASSERT_EQ(host.apply(Op::fork(pid)), Outcome::forked(pid + 1));
  }
  EXPECT_EQ(host.apply(Op::fork(8)), Outcome::error(Status::ProcLimit));
  for (Pid pid = 1; pid <= 8; ++pid)
    EXPECT_EQ(host.apply(Op::read(pid, 1)), Outcome::read(pid == 8 ? 107 : 100 + pid))
        << "pid " << pid;
  // The orphans of an exited middle still serve, and see what they saw.
  EXPECT_EQ(host.apply(Op::exit(4)), Outcome::ok());
  EXPECT_EQ(host.apply(Op::read(5, 1)), Outcome::read(105));
  EXPECT_EQ(host.apply(Op::fork(5)), Outcome::forked(9));
  EXPECT_EQ(host.apply(Op::read(9, 1)), Outcome::read(105));
}

TEST(LinuxCow, PidsFollowTheSemantics) {
  LinuxCow host(with_procs(2));
  EXPECT_EQ(host.apply(Op::fork(1)), Outcome::forked(2));
  EXPECT_EQ(host.apply(Op::fork(2)), Outcome::error(Status::ProcLimit));
  EXPECT_EQ(host.apply(Op::exit(1)), Outcome::ok());
  // Only a fork that succeeded took a pid.
  EXPECT_EQ(host.apply(Op::fork(2)), Outcome::forked(3));
  EXPECT_EQ(host.apply(Op::read(1, 0)), Outcome::error(Status::NoSuchProcess));
  EXPECT_EQ(host.apply(Op::exit(1)), Outcome::error(Status::NoSuchProcess));
}

TEST(LinuxCow, BadAddressesAndDeadPidsAreErrors) {
  Config config;
  config.pages = 2;
  config.words = 2;
  LinuxCow host(config);
  EXPECT_EQ(host.apply(Op::write(1, 2, 1)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::read(1, 2)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::write(1, 1, 1, 2)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::read(1, 0, 2)), Outcome::error(Status::BadAddress));
  for (Pid pid : {0u, 2u, 99u}) {
    EXPECT_EQ(host.apply(Op::write(pid, 0, 1)), Outcome::error(Status::NoSuchProcess));
    EXPECT_EQ(host.apply(Op::fork(pid)), Outcome::error(Status::NoSuchProcess));
  }
  // A dead pid wins over a bad address, as in the semantics.
  EXPECT_EQ(host.apply(Op::read(7, 9)), Outcome::error(Status::NoSuchProcess));
  EXPECT_EQ(host.apply(Op::read(1, 1, 1)), Outcome::read(0));
}

TEST(LinuxCow, EveryPageStartsPresentAndExclusive) {
  LinuxCow host(Config{});
  // No fork yet: no write faults, whether PFNs are readable or not.
  for (Vpn vpn = 0; vpn < 4; ++vpn) EXPECT_EQ(host.apply(Op::write(1, vpn, 5)), wrote(Fault::None));
}

TEST(LinuxCow, ChildCopiesAndThenTheParentReuses) {
  COWCHECK_SKIP_WITHOUT_PFNS();
  LinuxCow host(Config{});
  host.apply(Op::fork(1));
  EXPECT_EQ(host.apply(Op::write(2, 0, 2)), wrote(Fault::CowCopy));
  EXPECT_EQ(host.apply(Op::write(1, 0, 3)), wrote(Fault::CowReuse));
  EXPECT_EQ(host.apply(Op::write(1, 0, 4)), wrote(Fault::None));
  EXPECT_EQ(host.apply(Op::write(2, 0, 5)), wrote(Fault::None));
}

TEST(LinuxCow, ExitOfTheParentLeavesTheChildSoleOwner) {
  COWCHECK_SKIP_WITHOUT_PFNS();
  LinuxCow host(Config{});
  host.apply(Op::write(1, 0, 7));
  host.apply(Op::fork(1));
  host.apply(Op::exit(1));
  EXPECT_EQ(host.apply(Op::write(2, 0, 8)), wrote(Fault::CowReuse));
  EXPECT_EQ(host.apply(Op::read(2, 0)), Outcome::read(8));
}

TEST(LinuxCow, ExitOfTheChildLeavesTheParentSoleOwner) {
  COWCHECK_SKIP_WITHOUT_PFNS();
  LinuxCow host(Config{});
  host.apply(Op::fork(1));
  host.apply(Op::exit(2));
  EXPECT_EQ(host.apply(Op::write(1, 0, 1)), wrote(Fault::CowReuse));
}

TEST(LinuxCow, TheLastOfThreeSharersReuses) {
  COWCHECK_SKIP_WITHOUT_PFNS();
  LinuxCow host(Config{});
  host.apply(Op::fork(1));
  host.apply(Op::fork(1));
  EXPECT_EQ(host.apply(Op::write(1, 0, 1)), wrote(Fault::CowCopy));
  EXPECT_EQ(host.apply(Op::write(2, 0, 2)), wrote(Fault::CowCopy));
  EXPECT_EQ(host.apply(Op::write(3, 0, 3)), wrote(Fault::CowReuse));
}

TEST(LinuxCow, WithoutPfnsEveryWriteIsOutcomesOnly) {
  LinuxOptions options;
  options.read_pfns = false;
  LinuxCow host(Config{}, options);
  EXPECT_FALSE(host.reads_pfns());
  EXPECT_NE(host.describe().find("outcomes only"), std::string::npos) << host.describe();
  host.apply(Op::fork(1));
  EXPECT_EQ(host.apply(Op::write(2, 0, 2)), wrote(Fault::None));
  EXPECT_EQ(host.apply(Op::write(1, 0, 3)), wrote(Fault::None));
  EXPECT_EQ(host.apply(Op::read(2, 0)), Outcome::read(2));
}

// CVE-2020-29374 with cow.c's vmsplice() reference: it must never see what
// the parent writes after the child is gone. Any kernel since 5.8 copies
// here (the reference counts; the `pin` op's own test is in linux_ops_test).
TEST(LinuxCow, AReferenceTakenByAnExitedChildKeepsTheOldContents) {
  LinuxCow host(Config{});
  host.apply(Op::write(1, 0, 7));
  host.apply(Op::fork(1));
  int reference = host.reference(2, 0);
  host.apply(Op::exit(2));
  Outcome write = host.apply(Op::write(1, 0, 8));
  if (host.reads_pfns()) {
    EXPECT_EQ(write, wrote(Fault::CowCopy));  // the model would reuse
  }
  EXPECT_EQ(host.drop_reference(reference), 7u);
  EXPECT_EQ(host.apply(Op::read(1, 0)), Outcome::read(8));
}

// The host counts every reference to a shared page, not only mappings: a
// reference taken before the fork, or after the other sharer left, makes
// the last mapper copy where the model (which knows no references) reuses.
TEST(LinuxCow, AnyReferenceOnASharedPageMakesTheHostCopy) {
  COWCHECK_SKIP_WITHOUT_PFNS();
  LinuxCow host(Config{});
  int before_fork = host.reference(1, 0);
  apply_all(host, {Op::fork(1), Op::exit(2)});
  EXPECT_EQ(host.apply(Op::write(1, 0, 1)), wrote(Fault::CowCopy));
  EXPECT_EQ(host.drop_reference(before_fork), 0u);
  apply_all(host, {Op::fork(1), Op::exit(3)});
  int after_exit = host.reference(1, 1);
  EXPECT_EQ(host.apply(Op::write(1, 1, 2)), wrote(Fault::CowCopy));
  EXPECT_EQ(host.drop_reference(after_exit), 0u);
}

// An exclusive page is not write-protected, so a reference to it is no
// reason to copy: the store lands in the referenced frame, which shows it.
TEST(LinuxCow, AReferenceToAnExclusivePageSeesLaterStores) {
  LinuxCow host(Config{});
  int reference = host.reference(1, 0);
  EXPECT_EQ(host.apply(Op::write(1, 0, 9)), wrote(Fault::None));
  EXPECT_EQ(host.drop_reference(reference), 9u);
}

TEST(LinuxCow, AReferenceToABadPageIsRefused) {
  LinuxCow host(Config{});
  EXPECT_THROW(host.reference(1, 4), std::invalid_argument);
  EXPECT_THROW(host.reference(2, 0), std::invalid_argument);
  EXPECT_THROW(host.drop_reference(1), std::invalid_argument);
  host.apply(Op::munmap(1, 0, 1));
  EXPECT_THROW(host.reference(1, 0), std::invalid_argument);
  host.apply(Op::vfork(1));
  EXPECT_THROW(host.reference(1, 1), std::invalid_argument);  // asleep in vfork
  EXPECT_EQ(host.apply(Op::read(2, 1)), Outcome::read(0));
}

}  // namespace
}  // namespace cow::linux_host
