// The classic COW scenarios, re-expressed as op sequences: the seeds' lecture
// cases, TLPI Figure 24-3, the xv6 COW lab's tests and Linux's
// tools/testing/selftests/mm/cow.c anon cases. Each names what every op must
// return and runs on the model and on the fast implementation in both fork
// modes; the pin cases also say under which reuse policy history broke them.
#include <algorithm>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "app/registry.h"
#include "checker/harness.h"
#include "spec/op.h"

namespace cow {
namespace {

struct Step {
  std::string op;
  std::string outcome;  // to_string(Outcome), exactly
};

struct Scenario {
  std::string name;
  Config config;
  std::vector<Step> steps;
};

Op op_from(const std::string& text) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    words.emplace_back(text.data() + i, j - i);
    i = j + 1;
  }
  auto op = parse_op(words);
  if (auto* error = std::get_if<std::string>(&op)) ADD_FAILURE() << text << ": " << *error;
  return std::get<Op>(op);
}

// Runs every step, checks its outcome and every invariant; returns the
// first violation's text, or "" when there was none.
std::string run(const std::string& impl, const Scenario& s, bool check_outcomes = true) {
  Harness h(make_implementation(impl, s.config), s.config);
  for (const Step& step : s.steps) {
    auto v = h.step(op_from(step.op));
    if (v) return to_string(*v);
    if (check_outcomes) {
      EXPECT_EQ(to_string(h.last_outcome()), step.outcome)
          << impl << " " << s.name << ": " << step.op;
    }
  }
  return "";
}

const char* const kImpls[] = {"model", "fast", "fast:shared-tables"};

std::vector<Scenario> correct_scenarios() {
  Config tiny;  // the xv6 lab's "simple": a fork with most of memory in use
  tiny.pages = 4;
  tiny.frames = 5;
  Config kill = tiny;
  kill.oom = OomPolicy::Kill;
  return {
      {"tlpi-24-3: text shared, data copied on the child's write",
       {},
       {{"mmap 1 0 1 text", "ok"},
        {"write 1 1 5", "ok"},
        {"fork 1", "ok child=2"},
        {"read 2 0", "ok value=1000 page-in"},
        {"read 1 0", "ok value=1000 page-in"},
        {"write 2 1 9", "ok cow-copy"},
        {"read 1 1", "ok value=5"},
        {"read 2 1", "ok value=9"},
        {"write 2 0 1", "protection-fault"},
        {"copyout 1 0 1", "protection-fault"}}},
      {"seed-001: a private file page written before fork",
       {},
       {{"mmap 1 0 1 private-file", "ok"},
        {"write 1 0 17", "ok cow-copy"},
        {"fork 1", "ok child=2"},
        {"read 2 0", "ok value=17"},
        {"write 1 0 18", "ok cow-copy"},
        {"read 2 0", "ok value=17"},
        {"mmap 2 1 1 shared-file", "ok"},
        {"read 2 1", "ok value=1010 page-in"},
        {"mmap 2 0 1 shared-file", "ok"},
        {"read 2 0", "ok value=1000 page-in"}}},
      {"shared file writes reach every mapper and the file",
       {},
       {{"mmap 1 0 1 shared-file", "ok"},
        {"fork 1", "ok child=2"},
        {"write 2 0 7", "ok page-in"},
        {"read 1 0", "ok value=7 page-in"},
        {"munmap 1 0 1", "ok"},
        {"munmap 2 0 1", "ok"},
        {"mmap 1 0 1 private-file", "ok"},
        {"read 1 0", "ok value=7 page-in"}}},
      {"seed-003: the later writer finds itself sole owner and does not copy",
       {},
       {{"fork 1", "ok child=2"},
        {"write 1 0 5", "ok cow-copy"},
        {"write 2 0 6", "ok cow-reuse"},
        {"read 1 0", "ok value=5"},
        {"read 2 0", "ok value=6"}}},
      {"xv6-simple: fork with more than half of memory in use",
       tiny,
       {{"fork 1", "ok child=2"}, {"exit 2", "ok"}, {"fork 1", "ok child=3"}, {"exit 3", "ok"}}},
      {"xv6-three: three processes write in turn",
       {},
       {{"fork 1", "ok child=2"},
        {"fork 2", "ok child=3"},
        {"write 3 0 3", "ok cow-copy"},
        {"write 2 0 2", "ok cow-copy"},
        {"write 1 0 1", "ok cow-reuse"},
        {"read 1 0", "ok value=1"},
        {"read 2 0", "ok value=2"},
        {"read 3 0", "ok value=3"}}},
      {"xv6-file: copyout into a COW page copies it",
       {},
       {{"fork 1", "ok child=2"},
        {"copyout 2 0 7", "ok cow-copy"},
        {"read 1 0", "ok"},
        {"read 2 0", "ok value=7"},
        {"copyout 1 0 8 1", "ok cow-reuse"},
        {"read 2 0 1", "ok"}}},
      {"seed-000: fork then exec drops the shared frames",
       {},
       {{"write 1 0 4", "ok"},
        {"fork 1", "ok child=2"},
        {"exec 2", "ok"},
        {"read 2 0", "ok"},
        {"write 1 0 5", "ok cow-reuse"},
        {"write 2 0 6", "ok zero-fill"},
        {"read 1 0", "ok value=5"}}},
      {"seed-001/003: vfork borrows the space and suspends the parent",
       {},
       {{"vfork 1", "ok child=2"},
        {"write 1 0 1", "suspended"},
        {"write 2 0 7", "ok"},
        {"exec 2", "ok"},
        {"read 1 0", "ok value=7"},
        {"read 2 0", "ok"}}},
      {"zero-fill on demand after munmap and mmap",
       {},
       {{"munmap 1 1 1", "ok"},
        {"read 1 1", "bad-address"},
        {"mmap 1 1 1 private-anon", "ok"},
        {"read 1 1", "ok"},
        {"write 1 1 3", "ok zero-fill"},
        {"read 1 1", "ok value=3"}}},
      {"shared anonymous memory stays shared across fork",
       {},
       {{"mmap 1 2 2 shared-anon", "ok"},
        {"fork 1", "ok child=2"},
        {"write 2 2 9", "ok page-in"},
        {"read 1 2", "ok value=9 page-in"},
        {"write 1 3 4", "ok page-in"},
        {"read 2 3", "ok value=4 page-in"}}},
      {"seed-001: swapout through the reverse map keeps sharing",
       {},
       {{"write 1 0 2", "ok"},
        {"fork 1", "ok child=2"},
        {"swapout 1 0", "ok"},
        {"read 2 0", "ok value=2 swap-in"},
        {"read 1 0", "ok value=2"},
        {"write 1 0 4", "ok cow-copy"},
        {"swapout 2 0", "ok"},
        {"write 2 0 5", "ok cow-reuse"}}},
      {"a pinned page is not swapped out",
       {},
       {{"pin 1 0", "ok pin=1"},
        {"swapout 1 0", "busy"},
        {"unpin 1", "ok"},
        {"unpin 1", "no-such-pin"}}},
      {"oom: the fault fails and nothing changes",
       tiny,
       {{"fork 1", "ok child=2"},
        {"write 2 0 1", "ok cow-copy"},
        {"write 2 1 1", "out-of-memory"},
        {"read 2 1", "ok"},
        {"write 1 1 2", "out-of-memory"}}},
      {"oom: the faulting process is killed",
       kill,
       {{"fork 1", "ok child=2"},
        {"write 2 0 1", "ok cow-copy"},
        {"write 2 1 1", "killed"},
        {"read 2 1", "no-such-process"},
        {"write 1 1 2", "ok cow-reuse"}}},
  };
}

TEST(Scenarios, ClassicCasesGiveTheirOutcomesOnEveryImplementation) {
  for (const Scenario& s : correct_scenarios())
    for (const char* impl : kImpls) EXPECT_EQ(run(impl, s), "") << impl << ": " << s.name;
}

TEST(Scenarios, ClassicCasesHoldUnderEveryReusePolicy) {
  for (ReusePolicy p : {ReusePolicy::MapCount, ReusePolicy::PageCount}) {
    for (Scenario s : correct_scenarios()) {
      s.config.policy = p;
      // The fault kinds may differ by policy; the meaning may not.
      EXPECT_EQ(run("model", s, false), "") << policy_name(p) << ": " << s.name;
    }
  }
}

// cow.c's anon cases with pins. Each must pass under the exclusive policy;
// `broken` lists the policies under which Linux got it wrong.
struct PinCase {
  Scenario scenario;
  std::vector<ReusePolicy> broken;
};

std::vector<PinCase> pin_cases() {
  return {
      {{"cow.c vmsplice: R/O pin in the child, child unmaps, parent writes (CVE-2020-29374)",
        {},
        {{"fork 1", "ok child=2"},
         {"pin 2 0", "ok pin=1 cow-copy"},
         {"munmap 2 0 1", "ok"},
         {"write 1 0 5", "ok cow-reuse"},
         {"unpin 1", "ok"}}},
       {ReusePolicy::MapCount}},
      {{"cow.c vmsplice: R/O pin in the parent, parent unmaps, child writes",
        {},
        {{"fork 1", "ok child=2"},
         {"pin 1 0", "ok pin=1 cow-copy"},
         {"munmap 1 0 1", "ok"},
         {"write 2 0 5", "ok cow-reuse"},
         {"unpin 1", "ok"}}},
       {ReusePolicy::MapCount}},
      {{"cow.c: R/O pin on a shared page, then the pinner writes",
        {},
        {{"fork 1", "ok child=2"},
         {"pin 1 0", "ok pin=1 cow-copy"},
         {"write 1 0 5", "ok"},
         {"unpin 1", "ok value=5"},
         {"read 2 0", "ok"}}},
       {ReusePolicy::MapCount, ReusePolicy::PageCount}},
      {{"cow.c: R/O pin on a previously shared page",
        {},
        {{"fork 1", "ok child=2"},
         {"exit 2", "ok"},
         {"pin 1 0", "ok pin=1 cow-reuse"},
         {"write 1 0 5", "ok"},
         {"unpin 1", "ok value=5"}}},
       {ReusePolicy::PageCount}},
      {{"cow.c: R/O pin on an exclusive page",
        {},
        {{"pin 1 0", "ok pin=1"}, {"write 1 0 5", "ok"}, {"unpin 1", "ok value=5"}}},
       {}},
      {{"wrong-way COW: pin, fork, the pinner writes",
        {},
        {{"pin 1 0 rw", "ok pin=1"},
         {"fork 1", "ok child=2"},
         {"write 1 0 5", "ok"},
         {"unpin 1", "ok value=5"},
         {"read 2 0", "ok"}}},
       {ReusePolicy::MapCount, ReusePolicy::PageCount}},
  };
}

TEST(Scenarios, PinCasesPassUnderTheExclusiveBit) {
  for (const PinCase& c : pin_cases())
    for (const char* impl : kImpls)
      EXPECT_EQ(run(impl, c.scenario), "") << impl << ": " << c.scenario.name;
}

TEST(Scenarios, PinCasesBreakWhereHistorySaysTheyBroke) {
  for (const PinCase& c : pin_cases())
    for (ReusePolicy p : {ReusePolicy::MapCount, ReusePolicy::PageCount}) {
      Scenario s = c.scenario;
      s.config.policy = p;
      bool broken = std::find(c.broken.begin(), c.broken.end(), p) != c.broken.end();
      std::string v = run("model", s, false);
      if (broken) {
        EXPECT_NE(v.find("ISO"), std::string::npos)
            << policy_name(p) << ": " << s.name << ": " << v;
      } else {
        EXPECT_EQ(v, "") << policy_name(p) << ": " << s.name;
      }
    }
}

}  // namespace
}  // namespace cow
