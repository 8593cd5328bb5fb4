// cowcheck xv6 as a student runs it: on the correct lab it passes 10,000
// runs; on each buggy variant it reports the bug, by the invariant the
// properties written before the variant say it breaks. Long campaigns of a
// plug-in in the unsanitized worker: run by the release build only.
#include <gtest/gtest.h>

#include <ostream>
#include <string>

#include "tests/xv6/xv6_lab_fixture.h"

namespace cow::test {
namespace {

TEST_F(Xv6Lab, TheCorrectLabPassesTenThousandRunsAndTheManySharersPass) {
  lab();
  CommandResult r = xv6("xv6 lab --runs 10000");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("COW bit: PTE_COW = (1L << 8) (kernel/riscv.h)"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("refcount: krefcount() (kernel/defs.h)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("10000 runs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("many sharers (300 processes"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("VIOLATION"), std::string::npos) << r.out;
}

struct Planted {
  const char* variant;
  const char* invariant;  // what the finding names
  const char* detail;     // and a word of its message
  const char* runs;       // enough to meet the bug many times over
};

void PrintTo(const Planted& p, std::ostream* os) { *os << p.variant; }

class Xv6Variant : public Xv6Lab, public ::testing::WithParamInterface<Planted> {};

TEST_P(Xv6Variant, IsCaught) {
  const Planted& p = GetParam();
  lab(p.variant);
  CommandResult r = xv6(std::string("xv6 lab ") + p.runs);
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find(std::string("VIOLATION of ") + p.invariant), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(p.detail), std::string::npos) << r.out;
}

INSTANTIATE_TEST_SUITE_P(
    Planted, Xv6Variant,
    ::testing::Values(
        // Each is met within the first 50 runs of the default seed; the
        // byte-wide refcount only in the many-sharers pass.
        Planted{"text-writable-after-fork", "WP", "a read-only text page is writable or COW",
                "--runs 500 --sharers-runs 0"},
        Planted{"copyout-skips-cow", "ISO", "a write leaked across processes",
                "--runs 500 --sharers-runs 0"},
        Planted{"refcount-in-a-byte", "RC", "256 PTEs", "--runs 100 --sharers-runs 4"},
        Planted{"fork-leaks-on-failure", "RC", "reported out-of-memory but changed the state",
                "--runs 500 --sharers-runs 0"},
        Planted{"panic-on-bad-address", "CRASH", "the kernel panicked: \"cowfault: no page\"",
                "--runs 500 --sharers-runs 0"},
        Planted{"reuse-never-writable", "HANG", "of CPU time without answering",
                "--runs 300 --sharers-runs 0 --max-bugs 1"}),
    [](const auto& info) {
      std::string name = info.param.variant;
      for (char& c : name)
        if (c == '-') c = '_';
      return name;
    });

}  // namespace
}  // namespace cow::test
