// The command line as a user meets it: exit statuses, files written, and
// error messages for bad input.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/cli/cli_fixture.h"

namespace {

using namespace cow::test::cli;

using Cli = CliTest;

TEST_F(Cli, ImplsListsTheModelFirstThenTheMutants) {
  Result r = cowcheck("impls");
  EXPECT_EQ(r.status, 0);
  EXPECT_EQ(r.out.rfind("model\n", 0), 0u);
  EXPECT_NE(r.out.find("\nmutant:"), std::string::npos);
}

TEST_F(Cli, CheckOnTheModelExitsZero) {
  Result r = cowcheck("check --impl model --runs 300");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("no violation"), std::string::npos);
  EXPECT_NE(r.out.find("ops/s"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "counterexamples"));
}

TEST_F(Cli, CheckOnAMutantWritesTheFileAndExitsOne) {
  Result r = cowcheck("check --impl 'mutant:*' --out found");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("caught"), std::string::npos);
  EXPECT_FALSE(fs::is_empty(dir_ / "found"));
  EXPECT_EQ(cowcheck("check --impl 'mutant:*' --out found --expect-violation").status, 0);
  EXPECT_EQ(cowcheck("check --impl model --runs 50 --expect-violation").status, 1);
}

TEST_F(Cli, AFindingThatCannotBeWrittenIsPrintedNotLost) {
  write("blocker", "a file where the output folder should be");
  Result r = cowcheck("check --impl mutant:exit-leaks --out blocker/sub");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("cannot write the counterexample"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\ninvariant RC\n"), std::string::npos) << r.err;
}

TEST_F(Cli, TheSameSeedWritesAByteIdenticalFile) {
  expect_the_same_file_twice("check --impl mutant:copy-always --seed 7", "mutant-copy-always.cow");
}

// The committed counterexamples are what the main job writes with the
// default settings: running it again changes no byte of them.
TEST_F(Cli, TheCommittedMutantCounterexamplesAreUpToDate) {
  ASSERT_EQ(cowcheck("check --impl 'mutant:*' --out regenerated").status, 1);
  int compared = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "regenerated")) {
    fs::path committed =
        fs::path(COWCHECK_SOURCE_DIR) / "counterexamples" / entry.path().filename();
    EXPECT_EQ(slurp(entry.path()), slurp(committed)) << committed << " is stale";
    ++compared;
  }
  EXPECT_GE(compared, 8);
}

TEST_F(Cli, ReplayReproducesAndTheModelPasses) {
  cowcheck("check --impl mutant:reuse-shared --out found");
  std::string file = "found/mutant-reuse-shared.cow";
  Result own = cowcheck("replay " + file);
  EXPECT_EQ(own.status, 1) << own.out << own.err;
  EXPECT_NE(own.out.find("reproduced ISO"), std::string::npos) << own.out;
  Result model = cowcheck("replay " + file + " --impl model --show");
  EXPECT_EQ(model.status, 0) << model.out << model.err;
  EXPECT_NE(model.out.find("frame refcount contents"), std::string::npos);
}

TEST_F(Cli, JsonIsJson) {
  Result check = cowcheck("check --impl mutant:exit-leaks --out found --json");
  auto j = nlohmann::json::parse(check.out);
  EXPECT_EQ(j["results"][0]["invariant"], "RC");
  Result replay = cowcheck("replay found/mutant-exit-leaks.cow --json");
  EXPECT_EQ(nlohmann::json::parse(replay.out)["results"][0]["violation"], true);
  EXPECT_TRUE(nlohmann::json::parse(cowcheck("impls --json").out).is_array());
}

TEST_F(Cli, BadUsageExitsTwo) {
  EXPECT_EQ(cowcheck("").status, 2);
  EXPECT_EQ(cowcheck("frobnicate").status, 2);
  EXPECT_EQ(cowcheck("check --runs 0").status, 2);
  EXPECT_EQ(cowcheck("check --runs many").status, 2);
  Result unknown = cowcheck("check --impl nosuch");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.err.find("unknown implementation 'nosuch'"), std::string::npos);
  Result config = cowcheck("check --pages 8 --frames 2");
  EXPECT_EQ(config.status, 2);
  EXPECT_NE(config.err.find("frames must be at least pages"), std::string::npos);
  EXPECT_EQ(cowcheck("replay missing.cow").status, 2);
}

TEST_F(Cli, AMalformedFileIsReportedWithItsLine) {
  write("bad.cow", "cowcheck 1\nimpl model\nfork 1\nwrite 2 0\n");
  Result r = cowcheck("replay bad.cow");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("bad.cow:4: 'write' takes 3 or 4 arguments"), std::string::npos) << r.err;
  write("who.cow", "cowcheck 1\n# made by hand\nimpl mutant:nosuch\nfork 1\n");
  Result who = cowcheck("replay who.cow");
  EXPECT_EQ(who.status, 2);
  EXPECT_NE(who.err.find("who.cow:3: unknown implementation"), std::string::npos) << who.err;
}

}  // namespace
