// check --keep-going and --reuse optional as a user meets them: one file
// per distinct bug, written before it is reported; the table and the JSON;
// the rule carried by the file so that replay judges the same way; and the
// commands that cannot take the relaxed rule refusing it.
#include <filesystem>
#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_fixture.h"

namespace {

using namespace cow::test::cli;

using KeepGoingCli = CliTest;

TEST_F(KeepGoingCli, EachDistinctBugHasItsFileItsRowAndItsJson) {
  // mutant:copy-always copies at a write fault and at copyout: two code
  // paths, two bugs, under the default (required) reuse.
  Result r = cowcheck("check --impl mutant:copy-always --keep-going --runs 400 --out found --json");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  auto j = nlohmann::json::parse(r.out);
  const auto& result = j["results"][0];
  EXPECT_EQ(result["violation"], true);
  EXPECT_EQ(result["stopped"], "runs used up");
  ASSERT_GE(result["bugs"].size(), 2u) << r.out;
  std::set<std::string> keys;
  int hits = 0;
  for (const auto& bug : result["bugs"]) {
    EXPECT_TRUE(keys.insert(bug["key"].get<std::string>()).second) << bug["key"];
    std::string file = bug["file"];
    EXPECT_TRUE(fs::exists(dir_ / file)) << file;
    EXPECT_NE(slurp(dir_ / file).find("\ninvariant " + bug["invariant"].get<std::string>()),
              std::string::npos);
    EXPECT_NE(slurp(dir_ / file).find("--keep-going"), std::string::npos);
    hits += bug["runs_hit"].get<int>();
    // Each file replays its own bug.
    EXPECT_EQ(cowcheck("replay " + file).status, 1) << file;
  }
  EXPECT_LE(hits, 400);

  Result text = cowcheck("check --impl mutant:copy-always --keep-going --runs 400 --out found2");
  EXPECT_EQ(text.status, 1);
  EXPECT_NE(text.out.find("distinct bugs in 400 runs (runs used up)"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("bug invariant  ops   runs  counterexample"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("what it does: REUSE at write (ok, cow-copy)"), std::string::npos);
}

TEST_F(KeepGoingCli, TheSameSeedWritesTheSameFiles) {
  expect_the_same_file_twice("check --impl mutant:copy-always --keep-going --runs 300 --seed 5",
                             "mutant-copy-always-1-reuse.cow");
}

TEST_F(KeepGoingCli, MaxBugsBoundsTheRun) {
  Result r =
      cowcheck("check --impl mutant:copy-always --keep-going --max-bugs 1 --runs 400 --json");
  EXPECT_EQ(r.status, 1);
  auto result = nlohmann::json::parse(r.out)["results"][0];
  EXPECT_EQ(result["bugs"].size(), 1u);
  EXPECT_EQ(result["stopped"], "bug limit reached");
  EXPECT_EQ(cowcheck("check --keep-going --max-bugs 0").status, 2);
}

TEST_F(KeepGoingCli, AModelRunWithKeepGoingPasses) {
  Result r = cowcheck("check --impl model --keep-going --runs 200 --out found");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("no violation (runs used up)"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "found"));
}

TEST_F(KeepGoingCli, OptionalReuseLetsTheCopyPassAndTheFileCarriesIt) {
  EXPECT_EQ(cowcheck("check --impl mutant:copy-always --reuse optional --runs 2000").status, 0);
  Result caught = cowcheck("check --impl mutant:exit-leaks --reuse optional --out found");
  EXPECT_EQ(caught.status, 1);
  std::string file = slurp(dir_ / "found" / "mutant-exit-leaks-reuse-optional.cow");
  EXPECT_NE(file.find(" reuse=optional\n"), std::string::npos) << file;
  EXPECT_NE(file.find("--reuse optional"), std::string::npos) << file;
  // A copy-for-reuse recorded under the relaxed rule replays as no violation.
  write("copy.cow",
        "cowcheck 1\nimpl mutant:copy-always\nconfig reuse=optional\ninvariant none\n"
        "fork 1\nwrite 1 0 1\nwrite 2 0 1\n");
  EXPECT_EQ(cowcheck("replay copy.cow").status, 0);
  write("strict.cow",
        "cowcheck 1\nimpl mutant:copy-always\ninvariant REUSE\nfork 1\nwrite 1 0 1\nwrite 2 0 1\n");
  EXPECT_EQ(cowcheck("replay strict.cow").status, 1);
}

TEST_F(KeepGoingCli, DiffAndProveRefuseOptionalReuseByName) {
  Result diff = cowcheck("diff --impl fast --reuse optional --runs 10");
  EXPECT_EQ(diff.status, 2);
  EXPECT_NE(diff.err.find("diff does not take --reuse optional"), std::string::npos) << diff.err;
  Result prove = cowcheck("prove --reuse optional --depth 2");
  EXPECT_EQ(prove.status, 2);
  EXPECT_NE(prove.err.find("prove does not take --reuse optional"), std::string::npos) << prove.err;
  EXPECT_EQ(cowcheck("check --reuse sometimes").status, 2);
}

TEST_F(KeepGoingCli, ExploreJudgesByTheRelaxedRule) {
  EXPECT_EQ(cowcheck("explore --impl mutant:copy-always --depth 4 --reuse optional").status, 0);
  EXPECT_EQ(cowcheck("explore --impl mutant:copy-always --depth 4").status, 1);
}

}  // namespace
