// cowcheck prove and cowcheck explore as a user meets them: exit statuses,
// the .cow file written, the JSON, and what the messages claim.
#include <filesystem>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "checker/cow_file.h"
#include "tests/support/cowcheck_runner.h"

namespace {

namespace fs = std::filesystem;

using Result = cow::test::CommandResult;

class ProofCommands : public cow::test::CowcheckTest {};

constexpr const char* kTiny = " --procs 2 --pages 1 --frames 3";

TEST_F(ProofCommands, ProveOnTheModelClaimsTheDepthAndNoMore) {
  Result r = cowcheck(std::string("prove --depth 3") + kTiny);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("no violation up to depth 3"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("proved"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir_ / "counterexamples"));
}

TEST_F(ProofCommands, ProveInductionSaysProvedForAllDepths) {
  Result r = cowcheck(std::string("prove --induction --depth 1") + kTiny);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("proved for all depths"), std::string::npos) << r.out;
}

TEST_F(ProofCommands, ProveOnAMutantWritesTheFileThenExitsOne) {
  Result r =
      cowcheck(std::string("prove --impl mutant:reuse-keeps-cow --out found --json") + kTiny);
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["result"], "violation");
  EXPECT_EQ(j["counterexample"]["length"], 3);
  EXPECT_EQ(j["counterexample"]["invariant"], "REUSE");
  cow::CowFile file = cow::read_cow(dir_ / "found" / "prove-mutant-reuse-keeps-cow.cow");
  EXPECT_EQ(file.impl, "mutant:reuse-keeps-cow");
  EXPECT_EQ(file.ops.size(), 3u);
  EXPECT_EQ(file.invariant, cow::InvariantId::REUSE);
  Result replay = cowcheck("replay found/prove-mutant-reuse-keeps-cow.cow");
  EXPECT_EQ(replay.status, 1);
  EXPECT_NE(replay.out.find("reproduced REUSE"), std::string::npos) << replay.out;
}

TEST_F(ProofCommands, ProveATimeoutIsUnknown) {
  Result r = cowcheck("prove --depth 40 --timeout 0.3 --json");
  EXPECT_EQ(r.status, 3) << r.err;  // inconclusive, never a pass
  EXPECT_EQ(nlohmann::json::parse(r.out)["result"], "unknown");
}

TEST_F(ProofCommands, ProveRejectsWhatItCannotEncode) {
  Result r = cowcheck("prove --impl fast");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("model and its built-in mutants"), std::string::npos) << r.err;
  EXPECT_EQ(cowcheck("prove --frames 0").status, 2);
}

TEST_F(ProofCommands, ProveUnderPagecountFindsWrongWayCowAndReplaysIt) {
  Result r = cowcheck(std::string("prove --policy pagecount --depth 4 --out found --json") + kTiny);
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["result"], "violation");
  EXPECT_EQ(j["config"]["policy"], "pagecount");
  EXPECT_EQ(j["counterexample"]["length"], 3);
  EXPECT_EQ(j["counterexample"]["invariant"], "ISO");
  bool pinned = false;
  for (const auto& op : j["counterexample"]["ops"])
    pinned = pinned || op.get<std::string>().starts_with("pin");
  EXPECT_TRUE(pinned) << r.out;
  Result replay = cowcheck("replay found/prove-model.cow");
  EXPECT_EQ(replay.status, 1) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("reproduced ISO"), std::string::npos) << replay.out;
}

TEST_F(ProofCommands, ProveUnderExclusiveFindsNothingAndSaysWhatItLeftOut) {
  Result r = cowcheck(std::string("prove --policy exclusive --depth 3") + kTiny);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("no violation up to depth 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("not encoded: mmap of shared-anon"), std::string::npos) << r.out;
}

TEST_F(ProofCommands, ProveRejectsBadOpsAndPins) {
  EXPECT_EQ(cowcheck("prove --ops fork,nosuch").status, 2);
  EXPECT_EQ(cowcheck("prove --pins 3").status, 2);
  EXPECT_EQ(cowcheck("prove --policy nosuch").status, 2);
}

TEST_F(ProofCommands, ExploreOnTheModelIsExhaustive) {
  Result r = cowcheck(std::string("explore --json") + kTiny);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["result"], "no-violation-exhaustive");
  EXPECT_GT(j["states"].get<int>(), 1);
  EXPECT_GT(j["peak_rss_bytes"].get<long>(), 0);
}

TEST_F(ProofCommands, ExploreOnAMutantWritesTheFileThenExitsOne) {
  Result r = cowcheck(std::string("explore --impl mutant:copy-keeps-old-ref --out found") + kTiny);
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("VIOLATION of RC at depth 2"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(dir_ / "found" / "explore-mutant-copy-keeps-old-ref.cow"));
}

TEST_F(ProofCommands, ExploreRejectsBlackBoxesAndUnknownNames) {
  EXPECT_EQ(cowcheck("explore --impl no-such").status, 2);
  EXPECT_EQ(cowcheck("explore --impl linux").status, 2);
}

}  // namespace
