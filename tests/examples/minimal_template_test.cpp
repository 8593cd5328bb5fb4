// The minimal plug-in template (examples/minimal/cow.c), checked the way the
// tutorial checks a student's copy: through the cowcheck binary, which loads
// it into cowcheck-worker. The correct file passes check and diff; each
// seeded bug (cow.c built with one -DBUG_... switch, see CMakeLists.txt) is
// caught by check with default settings, by the invariant that names it, and
// the counterexample it writes replays as fixed on the correct file.
#include <dlfcn.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cowcheck/cow_abi.h"
#include "tests/support/cowcheck_runner.h"

namespace cow::test {
namespace {

namespace fs = std::filesystem;

const std::string kTemplate = COW_MINIMAL_PLUGIN;

std::string variant(const std::string& bug) {
  return std::string(COW_MINIMAL_BUG_DIR) + "/libcow-minimal-" + bug + ".so";
}

// The .cow files a run left in `dir`.
std::vector<fs::path> cow_files(const fs::path& dir) {
  std::vector<fs::path> files;
  if (fs::exists(dir))
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().extension() == ".cow") files.push_back(e.path());
  return files;
}

TEST(MinimalTemplate, IsUnder200LinesOfC) {
  // The promise (13, item 6): a template a student reads in one sitting.
  std::ifstream in(fs::path(COWCHECK_SOURCE_DIR) / "examples/minimal/cow.c");
  ASSERT_TRUE(in) << "examples/minimal/cow.c";
  int lines = 0;
  for (std::string line; std::getline(in, line);) ++lines;
  EXPECT_LT(lines, 200);
}

TEST(MinimalTemplate, DeclaresTheCoreOpsAndTheWhiteBoxViewsOnly) {
  // Loaded here only to read its table: the correct file never crashes.
  void* library = dlopen(kTemplate.c_str(), RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  auto entry = reinterpret_cast<cow_plugin_entry_fn>(dlsym(library, COW_PLUGIN_ENTRY));
  ASSERT_NE(entry, nullptr);
  const cow_plugin& p = *entry();
  EXPECT_EQ(p.abi_version, COW_ABI_VERSION);
  EXPECT_EQ(p.struct_size, sizeof(cow_plugin));
  EXPECT_STREQ(p.name, "cow-minimal");
  EXPECT_TRUE(p.create && p.destroy && p.fork && p.write && p.read && p.exit);
  EXPECT_TRUE(p.pte && p.frame && p.free_frames) << "white-box";
  EXPECT_FALSE(p.read_fault || p.exec || p.vfork || p.mmap || p.munmap || p.swapout || p.pin ||
               p.unpin || p.copyout || p.proc || p.frame_cache || p.slot || p.pin_view)
      << "the template does fork, write, read and exit only";
  dlclose(library);
}

class MinimalTemplateRuns : public CowcheckTest {};

TEST_F(MinimalTemplateRuns, PassesCheck) {
  CommandResult r = cowcheck("check --impl plugin:" + kTemplate + " --runs 2000 --out found");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("2000 runs"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("no violation"), std::string::npos) << r.out;
  EXPECT_TRUE(cow_files(dir_ / "found").empty());
}

TEST_F(MinimalTemplateRuns, PassesCheckUnderTheOomKillerAndASmallMachine) {
  CommandResult r = cowcheck("check --impl plugin:" + kTemplate +
                             " --runs 500 --oom kill --pages 3 --frames 4 --procs 3 --out found");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST_F(MinimalTemplateRuns, HasNoDifferenceFromTheModel) {
  CommandResult r = cowcheck("diff --impl plugin:" + kTemplate + " --runs 2000 --out found");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("no difference"), std::string::npos) << r.out;
  EXPECT_TRUE(cow_files(dir_ / "found").empty());
}

struct SeededBug {
  std::string name;       // the library's suffix: libcow-minimal-NAME.so
  std::string invariant;  // what check reports
};

void PrintTo(const SeededBug& bug, std::ostream* os) { *os << bug.name; }

class MinimalTemplateBug : public CowcheckTest, public ::testing::WithParamInterface<SeededBug> {};

TEST_P(MinimalTemplateBug, IsCaughtByCheckWithDefaultSettings) {
  const SeededBug& bug = GetParam();
  const std::string lib = variant(bug.name);
  ASSERT_TRUE(fs::exists(lib)) << lib;
  CommandResult r = cowcheck("check --impl plugin:" + lib + " --out found");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("VIOLATION of " + bug.invariant), std::string::npos) << r.out;
  std::vector<fs::path> files = cow_files(dir_ / "found");
  ASSERT_EQ(files.size(), 1u) << r.out;

  // The file reproduces on the buggy library, and passes on the correct one:
  // the tutorial's "fix it, replay it".
  r = cowcheck("replay " + files[0].string() + " --impl plugin:" + lib);
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  r = cowcheck("replay " + files[0].string() + " --impl plugin:" + kTemplate);
  EXPECT_EQ(r.status, 0) << r.out << r.err;
}

INSTANTIATE_TEST_SUITE_P(
    SeededBugs, MinimalTemplateBug,
    ::testing::Values(
        // fork write-protects only the child: the parent's next store reaches the child.
        SeededBug{"parent-writable", "WP"},
        // a COW copy keeps the old frame's reference: refcounts drift up, frames leak.
        SeededBug{"keep-old-ref", "RC"},
        // the sole-owner test off by one: a frame two processes map is reused.
        SeededBug{"reuse-shared", "ISO"}),
    [](const auto& info) {
      std::string name = info.param.name;
      for (char& c : name)
        if (c == '-') c = '_';
      return name;
    });

}  // namespace
}  // namespace cow::test
