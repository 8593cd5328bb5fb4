// Every committed counterexample replays: against the implementation it
// was found on it reproduces its invariant, and the model passes it.
#include <filesystem>

#include <gtest/gtest.h>

#include "checker/cow_file.h"
#include "checker/replay.h"

namespace cow {
namespace {

std::vector<std::filesystem::path> committed_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(COWCHECK_SOURCE_DIR) / "counterexamples"))
    if (entry.path().extension() == ".cow") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

class Counterexample : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(Counterexample, ReproducesOnItsImplementationAndPassesOnTheModel) {
  CowFile file = read_cow(GetParam());
  std::optional<Trace> own = replay_cow(file, file.impl, false);
  ASSERT_TRUE(own) << "unknown implementation " << file.impl;
  if (file.invariant) {
    ASSERT_TRUE(own->violation) << GetParam() << " no longer fails on " << file.impl;
    EXPECT_EQ(own->violation->id, *file.invariant) << to_string(*own->violation);
    EXPECT_EQ(own->steps.size(), file.ops.size()) << "fails before its last op";
  } else {
    EXPECT_FALSE(own->violation) << to_string(*own->violation);
  }
  std::optional<Trace> model = replay_cow(file, "model", false);
  ASSERT_TRUE(model);
  EXPECT_FALSE(model->violation) << "the model fails " << GetParam() << ": "
                                 << to_string(*model->violation);
}

INSTANTIATE_TEST_SUITE_P(Committed, Counterexample, ::testing::ValuesIn(committed_files()),
                         [](const auto& info) {
                           std::string name = info.param.stem().string();
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

TEST(Counterexamples, EveryBuiltInMutantHasOne) {
  auto files = committed_files();
  EXPECT_GE(files.size(), 8u);
}

}  // namespace
}  // namespace cow
