// Every committed counterexample replays: against the implementation it
// was found on it reproduces its invariant, and the model passes it.
#include <filesystem>

#include <gtest/gtest.h>

#include "app/race_registry.h"
#include "app/replay_by_name.h"
#include "checker/cow_file.h"

namespace cow {
namespace {

std::vector<std::filesystem::path> committed_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(
           std::filesystem::path(COWCHECK_SOURCE_DIR) / "counterexamples"))
    if (entry.path().extension() == ".cow") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

std::string test_name(const ::testing::TestParamInfo<std::filesystem::path>& info) {
  std::string name = info.param.stem().string();
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return name;
}

class Counterexample : public ::testing::TestWithParam<std::filesystem::path> {};

// A race file: its lanes, step by step as its schedule says, on the stepped
// model its impl names, and on the model.
void race_reproduces(const CowFile& file) {
  RaceProgram program{file.ops, file.lanes, file.schedule};
  SteppedFactory own = stepped_factory(file.impl, file.config);
  ASSERT_TRUE(own) << "unknown stepped model " << file.impl;
  RaceTrace trace = run_race(own, file.config, program);
  ASSERT_TRUE(trace.violation) << file.impl << " no longer fails";
  EXPECT_EQ(trace.violation->id, *file.invariant) << to_string(*trace.violation);
  EXPECT_EQ(trace.taken, file.schedule) << "the schedule is the one its run takes";
  RaceTrace model = run_race(stepped_factory("model", file.config), file.config, program);
  EXPECT_FALSE(model.violation) << to_string(*model.violation);
}

TEST_P(Counterexample, ReproducesOnItsImplementationAndPassesOnTheModel) {
  CowFile file = read_cow(GetParam());
  if (file.is_race()) return race_reproduces(file);
  std::optional<Trace> own = replay_cow(file, file.impl, false);
  ASSERT_TRUE(own) << "unknown implementation " << file.impl;
  if (file.invariant) {
    ASSERT_TRUE(own->violation) << GetParam() << " no longer fails on " << file.impl;
    EXPECT_EQ(own->violation->id, *file.invariant) << to_string(*own->violation);
    EXPECT_EQ(own->steps.size(), file.ops.size()) << "fails before its last op";
  } else {
    EXPECT_FALSE(own->violation) << to_string(*own->violation);
  }
  // The model, with the exclusive bit whatever reuse policy the file asks for.
  CowFile fixed = file;
  fixed.config.policy = ReusePolicy::Exclusive;
  std::optional<Trace> model = replay_cow(fixed, "model", false);
  ASSERT_TRUE(model);
  EXPECT_FALSE(model->violation) << "the model fails " << GetParam() << ": "
                                 << to_string(*model->violation);
}

std::vector<std::filesystem::path> old_policy_files() {
  std::vector<std::filesystem::path> files;
  for (const auto& path : committed_files())
    if (read_cow(path).config.policy != ReusePolicy::Exclusive && !read_cow(path).is_race())
      files.push_back(path);
  return files;
}

class OldPolicy : public ::testing::TestWithParam<std::filesystem::path> {};

// A file found under an old reuse policy shows that policy's bug and no
// other: it is 1-minimal, and the later policies pass where history says.
TEST_P(OldPolicy, CounterexampleIsMinimalAndFixedLater) {
  CowFile file = read_cow(GetParam());
  ASSERT_TRUE(file.invariant);
  for (std::size_t i = 0; i < file.ops.size(); ++i) {
    CowFile shorter = file;
    shorter.ops.erase(shorter.ops.begin() + static_cast<std::ptrdiff_t>(i));
    std::optional<Trace> t = replay_cow(shorter, file.impl, false);
    ASSERT_TRUE(t);
    EXPECT_FALSE(t->violation) << "still fails without op " << i + 1 << ": "
                               << to_string(*t->violation);
  }
  if (file.config.policy == ReusePolicy::MapCount) {
    CowFile later = file;
    later.config.policy = ReusePolicy::PageCount;
    std::optional<Trace> t = replay_cow(later, file.impl, false);
    ASSERT_TRUE(t);
    bool wrong_way = file.ops.front().kind == OpKind::Pin || file.ops[1].kind == OpKind::Pin;
    // Page count fixed the CVE but not pins taken before a write by the pinner.
    if (!wrong_way) {
      EXPECT_FALSE(t->violation) << to_string(*t->violation);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Committed, OldPolicy, ::testing::ValuesIn(old_policy_files()), test_name);

TEST(Counterexamples, TheHistoricalBugsAreCommitted) {
  std::filesystem::path dir = std::filesystem::path(COWCHECK_SOURCE_DIR) / "counterexamples";
  CowFile cve = read_cow(dir / "cve-2020-29374.cow");
  EXPECT_EQ(cve.config.policy, ReusePolicy::MapCount);
  CowFile wrong_way = read_cow(dir / "wrong-way-cow.cow");
  EXPECT_EQ(wrong_way.config.policy, ReusePolicy::PageCount);
  // Dirty COW: a forced write and MADV_DONTNEED at once change the file.
  CowFile dirty_cow = read_cow(dir / "cve-2016-5195.cow");
  EXPECT_EQ(dirty_cow.impl, "race-mutant:dirty-cow");
  EXPECT_TRUE(dirty_cow.is_race());
}

INSTANTIATE_TEST_SUITE_P(Committed, Counterexample, ::testing::ValuesIn(committed_files()),
                         test_name);

TEST(Counterexamples, EveryBuiltInMutantHasOne) {
  auto files = committed_files();
  EXPECT_GE(files.size(), 8u);
}

}  // namespace
}  // namespace cow
