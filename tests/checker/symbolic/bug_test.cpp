// The encoding covers exactly the built-in mutants, by their names.
#include <gtest/gtest.h>

#include <vector>

#include "checker/symbolic/bug.h"
#include "model/mutants/mutants.h"

namespace cow::symbolic {
namespace {

TEST(Bug, EveryBuiltInMutantHasOneAndBackOrSaysWhyNot) {
  std::size_t left_out = 0;
  for (const model::MutantInfo& m : model::builtin_mutants()) {
    std::string impl = "mutant:" + std::string(m.name);
    std::optional<Bug> bug = bug_of(impl);
    if (not_encoded(impl)) {
      EXPECT_FALSE(bug) << impl << " is encoded and listed as not encoded";
      EXPECT_FALSE(not_encoded(impl)->empty());
      ++left_out;
      continue;
    }
    ASSERT_TRUE(bug) << impl;
    EXPECT_NE(*bug, Bug::None);
    EXPECT_EQ(impl_of(*bug), impl);
  }
  EXPECT_EQ(all_bugs().size() + left_out, model::builtin_mutants().size());
}

TEST(Bug, TheEncodedMutantsAreTheTablesRowsWithASwitch) {
  std::vector<Bug> want;
  for (const model::MutantRow& row : model::kMutants)
    if (row.id != Mutant::None && row.not_encoded.empty()) want.push_back(row.id);
  std::vector<Bug> got(all_bugs().begin(), all_bugs().end());
  EXPECT_EQ(got, want);
  // A row that says why it is left out is neither encoded nor silent.
  for (const model::MutantRow& row : model::kMutants) {
    if (row.not_encoded.empty()) continue;
    std::string impl = "mutant:" + std::string(row.name);
    EXPECT_FALSE(bug_of(impl)) << impl;
    EXPECT_EQ(not_encoded(impl), row.not_encoded) << impl;
  }
}

TEST(Bug, TheModelIsNoBugAndOthersAreNotCovered) {
  EXPECT_EQ(bug_of("model"), Bug::None);
  EXPECT_EQ(impl_of(Bug::None), "model");
  EXPECT_FALSE(bug_of("mutant:no-such"));
  EXPECT_FALSE(bug_of("fast"));
  EXPECT_FALSE(bug_of("plugin:/tmp/x.so"));
  EXPECT_FALSE(bug_of("copy-always")) << "a mutant is named with its prefix";
  EXPECT_FALSE(not_encoded("alloc-keeps-reserve"));
}

}  // namespace
}  // namespace cow::symbolic
