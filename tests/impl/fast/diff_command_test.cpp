// cowcheck diff and replay of what it writes, through the real binary.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/support/cowcheck_runner.h"

namespace {

namespace fs = std::filesystem;

using DiffCommand = cow::test::CowcheckTest;
using Result = cow::test::CommandResult;

TEST_F(DiffCommand, TheFastImplementationsMatchTheModel) {
  Result r = cowcheck("diff --impl fast --impl fast:shared-tables --runs 200");
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("no difference"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("checked ops/s"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(dir_ / "counterexamples"));
}

TEST_F(DiffCommand, AMutantIsCaughtWrittenAndReplayed) {
  // The stale translation shows as fork, read, write, read: the core ops.
  Result r = cowcheck("diff --impl fast-mutant:stale-tlb --ops fork,write,read,exit --out found");
  EXPECT_EQ(r.status, 1) << r.out;
  fs::path file = dir_ / "found" / "fast-mutant-stale-tlb.cow";
  ASSERT_TRUE(fs::exists(file)) << r.out;
  Result own = cowcheck("replay found/fast-mutant-stale-tlb.cow");
  EXPECT_EQ(own.status, 1) << own.out;
  EXPECT_NE(own.out.find("reproduced DIFF"), std::string::npos) << own.out;
  Result model = cowcheck("replay found/fast-mutant-stale-tlb.cow --impl model");
  EXPECT_EQ(model.status, 0) << model.out;
}

TEST_F(DiffCommand, JsonAndExpectViolation) {
  Result r = cowcheck(
      "diff --impl 'fast-mutant:*' --pages 512 --frames 1024 --out found --json "
      "--ops fork,write,read,exit,swapout --expect-violation");
  EXPECT_EQ(r.status, 0) << r.out;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["command"], "diff");
  ASSERT_EQ(j["results"].size(), 5u);
  for (const auto& result : j["results"]) {
    EXPECT_EQ(result["violation"], true) << result.dump();
    EXPECT_EQ(result["invariant"], "DIFF") << result.dump();
  }
}

TEST_F(DiffCommand, BadUsageExitsTwo) {
  EXPECT_EQ(cowcheck("diff --impl nosuch").status, 2);
  EXPECT_EQ(cowcheck("diff --snapshot-every 0").status, 2);
  EXPECT_EQ(cowcheck("diff --runs many").status, 2);
  EXPECT_EQ(cowcheck("diff --pages 8 --frames 2").status, 2);
}

}  // namespace
