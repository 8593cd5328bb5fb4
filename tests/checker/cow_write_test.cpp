// Writing .cow files in a hostile or full folder, the text of names that
// need quoting, files that travel, and file names that never collide.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "checker/cow_file.h"
#include "tests/support/cowcheck_runner.h"

namespace cow {
namespace {

namespace fs = std::filesystem;

CowFile sample() {
  CowFile f;
  f.impl = "mutant:exit-leaks";
  f.invariant = InvariantId::RC;
  f.ops = {Op::fork(1), Op::exit(2)};
  f.notes = {"found by: a test"};
  return f;
}

using test::slurp;

std::vector<std::string> entries(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

class CowWrite : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cowcheck-write-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "out");
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
};

// A symlink planted in a shared --out folder, at the file's name and at the
// temporary name older versions used: its target is never written, and the
// finding ends up a regular file.
TEST_F(CowWrite, APlantedSymlinkIsReplacedNotFollowed) {
  fs::path victim = dir_ / "victim";
  std::ofstream(victim) << "precious\n";
  fs::path target = dir_ / "out" / "mutant-exit-leaks.cow";
  fs::create_symlink(victim, target);
  fs::path old_tmp = target;
  old_tmp += ".tmp." + std::to_string(::getpid());
  fs::create_symlink(victim, old_tmp);

  write_cow_atomic(target, sample());

  EXPECT_EQ(slurp(victim), "precious\n");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(target)));
  EXPECT_EQ(slurp(target), format_cow(sample()));
  EXPECT_TRUE(fs::is_symlink(fs::symlink_status(old_tmp))) << "left alone";
  EXPECT_EQ(entries(dir_ / "out"),
            (std::vector<std::string>{"mutant-exit-leaks.cow", old_tmp.filename()}));
}

// A write that fails (here: the file size limit) throws and leaves no
// temporary file behind, and the signal that limit raises does not kill us.
TEST_F(CowWrite, AFailedWriteLeavesNothingBehind) {
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_DFL);
  rlimit tiny = saved;
  tiny.rlim_cur = 16;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &tiny), 0);
  bool threw = false;
  try {
    write_cow_atomic(dir_ / "out" / "x.cow", sample());
  } catch (const std::exception& e) {
    threw = true;
    EXPECT_NE(std::string(e.what()).find("cannot write"), std::string::npos) << e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_TRUE(threw);
  EXPECT_EQ(entries(dir_ / "out"), std::vector<std::string>{});
}

TEST_F(CowWrite, TheFileIsAsReadableAsTheUmaskSays) {
  mode_t old = ::umask(022);
  write_cow_atomic(dir_ / "out" / "x.cow", sample());
  ::umask(old);
  EXPECT_EQ(fs::status(dir_ / "out" / "x.cow").permissions(),
            fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read |
                fs::perms::others_read);
}

// The agreed `impl` line: a name with a space, '#', '"' or '\' is quoted.
TEST(CowFormat, ImplNamesThatASplitWouldBreakAreQuoted) {
  CowFile f = sample();
  f.impl = "plugin:a b/#x.so";
  EXPECT_NE(format_cow(f).find("\nimpl \"plugin:a b/#x.so\"\n"), std::string::npos)
      << format_cow(f);
  f.impl = R"(plugin:q"uote\back.so)";
  EXPECT_NE(format_cow(f).find(R"(impl "plugin:q\"uote\\back.so")"), std::string::npos)
      << format_cow(f);
  f.impl = "plugin:../build/plugins/libx.so";
  EXPECT_NE(format_cow(f).find("\nimpl plugin:../build/plugins/libx.so\n"), std::string::npos);
}

// A message from a plug-in may hold anything: each comment stays one line
// of plain text, and the file still parses.
TEST(CowFormat, CommentsStayOneLineOfPlainText) {
  CowFile f = sample();
  f.notes = {"violation: line one\nfork 1\x1b[31m red"};
  f.op_comments = {"ok\r\nexit 1", ""};
  std::string text = format_cow(f);
  EXPECT_NE(text.find("# violation: line one\\x0afork 1\\x1b[31m red\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("# ok\\x0d\\x0aexit 1\n"), std::string::npos) << text;
  EXPECT_EQ(parse_cow(text, "x.cow").ops, f.ops);
}

TEST_F(CowWrite, APluginIsNamedRelativeToTheFilesFolder) {
  fs::create_directories(dir_ / "lib dir");
  std::ofstream(dir_ / "lib dir" / "lib#mine.so") << "";
  CowFile f = sample();
  f.impl = "plugin:" + (dir_ / "lib dir" / "lib#mine.so").string();
  EXPECT_EQ(placed_in(f, dir_ / "out" / "deeper").impl, "plugin:../../lib dir/lib#mine.so");
  EXPECT_EQ(placed_in(f, dir_).impl, "plugin:lib dir/lib#mine.so");
  // As typed, relative to the working folder.
  fs::path cwd = fs::current_path();
  fs::current_path(dir_);
  f.impl = "plugin:lib dir/lib#mine.so";
  CowFile placed = placed_in(f, "out");
  fs::current_path(cwd);
  EXPECT_EQ(placed.impl, "plugin:../lib dir/lib#mine.so");
}

// No comment holds a path of the machine that wrote the file: absolute
// paths, and the plug-in's path as typed, become relative to the folder.
TEST_F(CowWrite, CommentsHoldNoPathOfThisMachine) {
  fs::create_directories(dir_ / "plugins");
  std::string lib = (dir_ / "plugins" / "libz.so").string();
  std::ofstream(lib) << "";
  CowFile f = sample();
  f.impl = "zoo:z";
  f.notes = {"violation at op 2: OOM pid 2: fork 2: " + lib + " died (SIGSEGV) at its limit",
             "worker " + (dir_ / "bin" / "worker").string() + ": gone.", "ratio 1/2 stays"};
  CowFile placed = placed_in(f, dir_ / "out");
  EXPECT_EQ(placed.impl, "zoo:z");
  EXPECT_EQ(placed.notes[0],
            "violation at op 2: OOM pid 2: fork 2: ../plugins/libz.so died "
            "(SIGSEGV) at its limit");
  EXPECT_EQ(placed.notes[1], "worker ../bin/worker: gone.");
  EXPECT_EQ(placed.notes[2], "ratio 1/2 stays");

  fs::path cwd = fs::current_path();
  fs::current_path(dir_);
  CowFile typed = sample();
  typed.impl = "plugin:plugins/libz.so";
  typed.notes = {"found by: cowcheck check --impl plugin:plugins/libz.so --seed 1",
                 "plug-in plugins/libz.so answered nonsense"};
  placed = placed_in(typed, "out");
  fs::current_path(cwd);
  EXPECT_EQ(placed.notes[0], "found by: cowcheck check --impl plugin:../plugins/libz.so --seed 1");
  EXPECT_EQ(placed.notes[1], "plug-in ../plugins/libz.so answered nonsense");
  for (const std::string& line : placed.notes)
    EXPECT_EQ(line.find(dir_.string()), std::string::npos) << line;
}

TEST(CowFileNames, PluginsWithTheSameLibraryNameGetDifferentFiles) {
  std::vector<std::string> impls = {"plugin:a/libmine.so", "plugin:b/libmine.so", "model",
                                    "plugin:c/libother.so"};
  std::vector<std::string> names = cow_file_names(impls, Config{});
  EXPECT_EQ(names, (std::vector<std::string>{"plugin-libmine-a.cow", "plugin-libmine-b.cow",
                                             "model.cow", "plugin-libother.cow"}));
  EXPECT_EQ(cow_file_names(impls, Config{}), names) << "the same every run";
}

TEST(CowFileNames, AsFewFoldersAsTellThemApart) {
  std::vector<std::string> names =
      cow_file_names({"plugin:/x/a/lib/libmine.so", "plugin:/x/b/lib/libmine.so"}, Config{});
  EXPECT_EQ(names,
            (std::vector<std::string>{"plugin-libmine-a-lib.cow", "plugin-libmine-b-lib.cow"}));
}

TEST(CowFileNames, TheSameImplementationTwiceIsNumbered) {
  Config mapcount;
  mapcount.policy = ReusePolicy::MapCount;
  std::vector<std::string> names = cow_file_names(
      {"mutant:copy-always", "plugin:a/x.so", "mutant:copy-always", "plugin:a/x.so"}, mapcount);
  EXPECT_EQ(names, (std::vector<std::string>{
                       "mutant-copy-always-mapcount.cow", "plugin-x-mapcount.cow",
                       "mutant-copy-always-mapcount-2.cow", "plugin-x-mapcount-2.cow"}));
}

}  // namespace
}  // namespace cow
