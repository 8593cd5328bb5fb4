// cowcheck race as a user meets it: the model passes, the race mutants
// are caught and written as files that replay step by step, and the
// committed Dirty COW file is what its "found by" line writes.
#include <filesystem>

#include "checker/cow_file.h"
#include "tests/cli/cli_fixture.h"

namespace cow::test::cli {
namespace {

class RaceCli : public CliTest {};

TEST_F(RaceCli, TheModelPassesAndTheMutantsAreCaught) {
  Result model = cowcheck("race --runs 500");
  EXPECT_EQ(model.status, 0) << model.out << model.err;
  EXPECT_NE(model.out.find("race model: 500 runs"), std::string::npos) << model.out;
  Result mutants = cowcheck(
      "race --exhaustive --impl 'race-mutant:*' --pages 1 --frames 4 --lane-ops 2 "
      "--ops fork,write,read,mmap,madvise,memwrite,pin --expect-violation --out found");
  EXPECT_EQ(mutants.status, 0) << mutants.out << mutants.err;
  for (const char* name : {"no-pte-recheck", "dirty-cow", "gup-fast-no-recheck", "no-tlb-flush"}) {
    fs::path file = dir_ / "found" / (std::string("race-mutant-") + name + ".cow");
    ASSERT_TRUE(fs::exists(file)) << file << "\n" << mutants.out;
    Result replay = cowcheck("replay found/" + file.filename().string());
    EXPECT_EQ(replay.status, 1) << replay.out << replay.err;
    EXPECT_NE(replay.out.find("reproduced"), std::string::npos) << replay.out;
    Result on_model = cowcheck("replay --impl model found/" + file.filename().string());
    EXPECT_EQ(on_model.status, 0) << on_model.out;
  }
}

TEST_F(RaceCli, TheCommittedDirtyCowFileIsWhatItsCommandWrites) {
  fs::path committed = fs::path(COWCHECK_SOURCE_DIR) / "counterexamples" / "cve-2016-5195.cow";
  std::string text = slurp(committed);
  std::string head = "# found by: cowcheck ";
  std::size_t at = text.find(head);
  ASSERT_NE(at, std::string::npos);
  std::string command = text.substr(at + head.size(), text.find('\n', at) - at - head.size());
  EXPECT_EQ(cowcheck(command + " --out regenerated").status, 1);
  EXPECT_EQ(slurp(dir_ / "regenerated" / "race-mutant-dirty-cow.cow"), text);
  Result replay = cowcheck("replay " + committed.string() + " --svg lanes.svg --json");
  EXPECT_EQ(replay.status, 1) << replay.out << replay.err;
  EXPECT_NE(replay.out.find("\"invariant\": \"ISO\""), std::string::npos) << replay.out;
  std::string svg = slurp(dir_ / "lanes.svg");
  EXPECT_NE(svg.find("lane 0"), std::string::npos);
  EXPECT_NE(svg.find("gup&#45;follow"), std::string::npos);
}

// An implementation that runs lanes itself is raced by its own threads:
// fast-mt passes, its mutant that installs a copy without re-checking the
// PTE does not.
TEST_F(RaceCli, AnImplementationThatRunsLanesItselfIsJudgedByItsHistories) {
  Result good = cowcheck("race --impl fast-mt --runs 300");
  EXPECT_EQ(good.status, 0) << good.out << good.err;
  EXPECT_NE(good.out.find("race fast-mt (its own threads): 300 runs"), std::string::npos)
      << good.out;
  Result bad = cowcheck("race --impl fast-mt-mutant:no-pte-recheck --runs 20000 --out found");
  EXPECT_EQ(bad.status, 1) << bad.out << bad.err;
  EXPECT_NE(bad.out.find("not linearizable"), std::string::npos) << bad.out;
  EXPECT_TRUE(fs::exists(dir_ / "found" / "fast-mt-mutant-no-pte-recheck.cow"));
}

TEST_F(RaceCli, BadInputIsNamed) {
  Result one_at_a_time = cowcheck("race --impl fast");
  EXPECT_EQ(one_at_a_time.status, 2);
  EXPECT_NE(one_at_a_time.err.find("race fast: this implementation answers one op at a time"),
            std::string::npos)
      << one_at_a_time.err;
  Result unknown = cowcheck("race --impl nothing");
  EXPECT_EQ(unknown.status, 2);
  EXPECT_NE(unknown.err.find("'nothing' is not a stepped model"), std::string::npos) << unknown.err;
  EXPECT_EQ(cowcheck("race --lanes 0").status, 2);
  write("bad.cow", "cowcheck 1\nimpl fast\nlane 0 write 1 0 1\nschedule 0\n");
  Result replay = cowcheck("replay bad.cow");
  EXPECT_EQ(replay.status, 2);
  EXPECT_NE(replay.err.find("bad.cow:2: 'fast' is not a stepped model"), std::string::npos)
      << replay.err;
}

}  // namespace
}  // namespace cow::test::cli
