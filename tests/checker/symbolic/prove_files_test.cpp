// prove as the README and the committed files use it: the counterexamples
// under counterexamples/prove-*.cow are byte for byte what the current
// prover writes. (The README's `prove --induction` runs in tests/docs.)
#include <gtest/gtest.h>

#include <filesystem>

#include "checker/cow_file.h"
#include "checker/symbolic/bug.h"
#include "checker/symbolic/prove.h"
#include "tests/support/cowcheck_runner.h"

namespace {

namespace fs = std::filesystem;

using cow::test::slurp;

class ProveFiles : public cow::test::CowcheckTest {};

// Each built-in mutant prove encodes has its committed file, and running the
// command that wrote it (its "found by" line, into another folder) changes
// no byte of it.
TEST_F(ProveFiles, TheCommittedProveCounterexamplesAreUpToDate) {
  fs::path committed = fs::path(COWCHECK_SOURCE_DIR) / "counterexamples";
  int compared = 0;
  for (cow::symbolic::Bug bug : cow::symbolic::all_bugs()) {
    std::string impl = cow::symbolic::impl_of(bug);
    if (impl == "model") continue;
    std::string name = cow::symbolic::prove_file_name(impl);
    ASSERT_TRUE(fs::exists(committed / name)) << name << " is not committed";
    EXPECT_EQ(cowcheck("prove --impl " + impl + " --out regenerated").status, 1)
        << impl << ": " << slurp(dir_ / "out.txt") << slurp(dir_ / "err.txt");
    EXPECT_EQ(slurp(dir_ / "regenerated" / name), slurp(committed / name)) << name << " is stale";
    std::string first_note = slurp(committed / name).substr(0, 200);
    EXPECT_NE(first_note.find("# found by: cowcheck prove --impl " + impl + " "), std::string::npos)
        << first_note;
    ++compared;
  }
  EXPECT_GE(compared, 8);
}

}  // namespace
