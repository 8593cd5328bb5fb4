// Findings as every command (check, diff, explore, prove) reports them: the
// .cow file is written first, or printed whole on stderr when it cannot be,
// and the exit status says what happened: 0 nothing, 1 found, 2 bad input,
// 3 inconclusive. No finding is lost, hidden or overwritten, and a file
// holds no path of the machine that wrote it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "tests/support/cowcheck_runner.h"

namespace {

namespace fs = std::filesystem;

using cow::test::slurp;
using Result = cow::test::CommandResult;

std::vector<std::string> cow_files(const fs::path& dir) {
  std::vector<std::string> names;
  if (!fs::exists(dir)) return names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

constexpr const char* kTiny = " --procs 2 --pages 1 --frames 3";

class Findings : public cow::test::CowcheckTest {
 protected:
  // A regular file where a folder is asked for: nothing can be written under it.
  std::string blocked_out() {
    write("blocker", "a file where the output folder should be");
    return " --out blocker/sub";
  }
};

// Every command: the counterexample goes to cowcheck-out/, never to the
// tracked counterexamples/ folder.
TEST_F(Findings, EveryCommandWritesToCowcheckOutByDefault) {
  EXPECT_EQ(cowcheck("check --impl mutant:exit-leaks").status, 1);
  EXPECT_EQ(cowcheck("diff --impl fast-mutant:stale-tlb --ops fork,write,read,exit").status, 1);
  EXPECT_EQ(cowcheck(std::string("explore --impl mutant:copy-keeps-old-ref") + kTiny).status, 1);
  EXPECT_EQ(cowcheck(std::string("prove --impl mutant:exit-leaks --depth 2") + kTiny).status, 1);
  EXPECT_EQ(cow_files(dir_ / "cowcheck-out"),
            (std::vector<std::string>{"explore-mutant-copy-keeps-old-ref.cow",
                                      "fast-mutant-stale-tlb.cow", "mutant-exit-leaks.cow",
                                      "prove-mutant-exit-leaks.cow"}));
  EXPECT_FALSE(fs::exists(dir_ / "counterexamples"));
}

// explore and prove used to print an error and exit 2: the counterexample was gone.
TEST_F(Findings, AnUnwritableOutPrintsTheWholeFileAndExitsOne) {
  std::string out = blocked_out();
  cow::test::RunOptions stderr_full;
  stderr_full.err = "/dev/full";
  for (std::string args :
       {"check --impl mutant:exit-leaks",
        "diff --impl fast-mutant:stale-tlb --ops fork,write,read,exit",
        "explore --impl mutant:copy-keeps-old-ref --procs 2 --pages 1 --frames 3",
        "prove --impl mutant:exit-leaks --depth 2 --procs 2 --pages 1 --frames 3"}) {
    for (const char* json : {"", " --json"}) {
      Result r = cowcheck(args + out + json);
      EXPECT_EQ(r.status, 1) << args << json << "\n" << r.out << r.err;
      EXPECT_NE(r.err.find("cannot write the counterexample"), std::string::npos) << args << r.err;
      std::size_t header = r.err.find("cowcheck 1\n");
      ASSERT_NE(header, std::string::npos) << args << r.err;
      std::string file = r.err.substr(header);
      EXPECT_NE(file.find("\nimpl "), std::string::npos) << file;
      EXPECT_NE(file.find("\ninvariant "), std::string::npos) << file;
      EXPECT_NE(r.out.find("(not written: printed on stderr)"), std::string::npos) << args << r.out;
    }
  }
}

// With stderr unwritable as well, nothing throws out of a catch block: the
// process does not abort, and the status still says a violation was found.
TEST_F(Findings, AnUnwritableOutAndStderrStillExitOne) {
  std::string out = blocked_out();
  cow::test::RunOptions stderr_full;
  stderr_full.err = "/dev/full";
  for (std::string args :
       {"check --impl mutant:exit-leaks",
        "explore --impl mutant:copy-keeps-old-ref --procs 2 --pages 1 --frames 3",
        "prove --impl mutant:exit-leaks --depth 2 --procs 2 --pages 1 --frames 3"}) {
    Result r = cowcheck(args + out, stderr_full);
    EXPECT_FALSE(r.signalled) << args;
    EXPECT_EQ(r.status, 1) << args;
  }
}

TEST_F(Findings, ATimeoutOrABoundBeforeAnAnswerExitsThree) {
  Result prove = cowcheck("prove --depth 40 --timeout 0.3 --json");
  EXPECT_EQ(prove.status, 3) << prove.err;
  EXPECT_EQ(nlohmann::json::parse(prove.out)["result"], "unknown");
  Result induction = cowcheck("prove --induction --timeout 0.3");
  EXPECT_EQ(induction.status, 3) << induction.out << induction.err;
  Result explore = cowcheck("explore --max-states 5 --json");
  EXPECT_EQ(explore.status, 3) << explore.err;
  EXPECT_EQ(nlohmann::json::parse(explore.out)["result"], "incomplete");
  EXPECT_EQ(explore.out.find("\"violation\""), std::string::npos);
  // An answer within the bounds asked for is an answer.
  EXPECT_EQ(cowcheck(std::string("explore --depth 2") + kTiny).status, 0);
  EXPECT_EQ(cowcheck(std::string("prove --depth 2") + kTiny).status, 0);
  for (const char* command : {"prove", "explore"}) {
    Result help = cowcheck(std::string(command) + " --help");
    EXPECT_NE(help.out.find("3 inconclusive"), std::string::npos) << help.out;
  }
}

// A later implementation that cannot be checked (this plug-in has no
// shared-anon mmap) used to end the command with exit 2, the table and the
// JSON unprinted.
TEST_F(Findings, ALaterImplementationsErrorHidesNoFinding) {
  std::string impls =
      "check --ops mmap,munmap --impl mutant:exit-leaks --impl plugin:" TEST_PLUGIN_DIR
      "/variant_no_mmap.so";
  Result json = cowcheck(impls + " --out found --json");
  EXPECT_EQ(json.status, 1) << json.out << json.err;
  nlohmann::json j = nlohmann::json::parse(json.out);
  ASSERT_EQ(j["results"].size(), 2u);
  EXPECT_EQ(j["results"][0]["invariant"], "RC");
  EXPECT_EQ(j["results"][0]["file"], "found/mutant-exit-leaks.cow");
  EXPECT_NE(j["results"][1]["error"].get<std::string>().find(
                "none of the op kinds asked for (mmap,munmap)"),
            std::string::npos)
      << json.out;
  EXPECT_TRUE(fs::exists(dir_ / "found" / "mutant-exit-leaks.cow"));

  Result text = cowcheck(impls + " --out found");
  EXPECT_EQ(text.status, 1);
  EXPECT_NE(text.out.find("mutant:exit-leaks              caught"), std::string::npos) << text.out;
  EXPECT_NE(text.err.find("could not be checked"), std::string::npos) << text.err;
  // Nothing found and one that could not be checked: bad input.
  EXPECT_EQ(
      cowcheck("check --runs 20 --impl model --impl plugin:" TEST_PLUGIN_DIR "/bad_version.so")
          .status,
      2);
}

// plugin:a/libmine.so and plugin:b/libmine.so: two findings, two files.
TEST_F(Findings, TwoPluginsWithTheSameLibraryNameWriteTwoFiles) {
  for (const char* folder : {"a", "b"}) {
    fs::create_directories(dir_ / folder);
    fs::copy_file(fs::path(ZOO_DIR) / (folder == std::string("a") ? "libcowzoo-missed-cow.so"
                                                                  : "libcowzoo-refcount-leak.so"),
                  dir_ / folder / "libmine.so");
  }
  std::string args = "check --impl plugin:a/libmine.so --impl plugin:b/libmine.so --out found";
  Result r = cowcheck(args);
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_EQ(cow_files(dir_ / "found"),
            (std::vector<std::string>{"plugin-libmine-a.cow", "plugin-libmine-b.cow"}));
  EXPECT_NE(slurp(dir_ / "found" / "plugin-libmine-a.cow").find("\nimpl plugin:../a/libmine.so\n"),
            std::string::npos);
  EXPECT_NE(slurp(dir_ / "found" / "plugin-libmine-b.cow").find("\nimpl plugin:../b/libmine.so\n"),
            std::string::npos);
  // The same names on every run.
  std::string first = slurp(dir_ / "found" / "plugin-libmine-a.cow");
  fs::remove_all(dir_ / "found");
  EXPECT_EQ(cowcheck(args).status, 1);
  EXPECT_EQ(slurp(dir_ / "found" / "plugin-libmine-a.cow"), first);
}

// The impl line names the plug-in relative to the file's own folder, quoted
// when it holds a space or '#'; no comment holds an absolute path or the
// path as typed from the working folder.
TEST_F(Findings, APluginPathTravelsWithTheFile) {
  fs::create_directories(dir_ / "my libs");
  fs::copy_file(fs::path(ZOO_DIR) / "libcowzoo-missed-cow.so", dir_ / "my libs" / "lib#1.so");
  Result r = cowcheck("check --impl 'plugin:my libs/lib#1.so' --out found/deeper");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  std::string text = slurp(dir_ / "found" / "deeper" / "plugin-lib-1.cow");
  EXPECT_NE(text.find("\nimpl \"plugin:../../my libs/lib#1.so\"\n"), std::string::npos) << text;
  EXPECT_EQ(text.find(dir_.string()), std::string::npos) << text;
  EXPECT_EQ(text.find(" my libs/"), std::string::npos) << text;
  EXPECT_EQ(text.find(":my libs/"), std::string::npos) << text;
  EXPECT_NE(text.find("# found by: cowcheck check --impl 'plugin:../../my libs/lib#1.so'"),
            std::string::npos)
      << text;
}

// The committed files travel too: not one holds an absolute path, in
// counterexamples/ or anywhere else the repository keeps .cow files (the
// fuzz corpus, the docs).
TEST(CommittedFindings, HoldNoAbsolutePath) {
  std::regex absolute(R"((^|[\s:'"(=])/[A-Za-z0-9_.~-])");
  int files = 0;
  fs::path root(COWCHECK_SOURCE_DIR);
  for (const char* folder : {"counterexamples", "tests", "docs"})
    for (const auto& entry : fs::recursive_directory_iterator(root / folder)) {
      if (entry.path().extension() != ".cow") continue;
      ++files;
      std::istringstream lines(slurp(entry.path()));
      for (std::string line; std::getline(lines, line);)
        EXPECT_FALSE(std::regex_search(line, absolute)) << entry.path() << ": " << line;
    }
  EXPECT_GE(files, 8);
}

// check and diff share one "found by" line: the machine's sizes when given.
TEST_F(Findings, FoundByNamesTheMachineFlagsGiven) {
  ASSERT_EQ(
      cowcheck("check --impl mutant:exit-leaks --pages 4 --frames 12 --procs 3 --out found").status,
      1);
  EXPECT_NE(slurp(dir_ / "found" / "mutant-exit-leaks.cow")
                .find("# found by: cowcheck check --impl mutant:exit-leaks --seed 1 --runs 1000 "
                      "--max-ops 24 --pages 4 --frames 12 --procs 3\n"),
            std::string::npos)
      << slurp(dir_ / "found" / "mutant-exit-leaks.cow");
  ASSERT_EQ(cowcheck("diff --impl fast-mutant:stale-tlb --ops fork,write,read,exit --procs 3 "
                     "--out found")
                .status,
            1);
  EXPECT_NE(slurp(dir_ / "found" / "fast-mutant-stale-tlb.cow")
                .find("# found by: cowcheck diff --impl fast-mutant:stale-tlb --seed 1 --runs 1000 "
                      "--max-ops 24 --snapshot-every 8 --procs 3 --ops fork,write,read,exit\n"),
            std::string::npos)
      << slurp(dir_ / "found" / "fast-mutant-stale-tlb.cow");
}

// A finding's "found by" line is a command that finds it again: run as it
// stands (into another folder), it writes the same file byte for byte. So
// it carries every flag that changes what is generated (the machine, the
// policies, --ops), whichever of check and diff wrote it.
TEST_F(Findings, TheFoundByCommandReproducesTheFinding) {
  const std::string machine =
      " --seed 3 --runs 1000 --max-ops 20 --pages 3 --frames 11 --procs 4 --words 2";
  for (const std::string& args :
       {"check --impl mutant:exit-leaks" + machine +
            " --policy pagecount --oom kill --ops fork,write,read,exit,pin,unpin",
        "diff --impl fast-mutant:stale-tlb --snapshot-every 3" + machine +
            " --ops fork,write,read,exit"}) {
    fs::remove_all(dir_ / "first");
    fs::remove_all(dir_ / "again");
    ASSERT_EQ(cowcheck(args + " --out first").status, 1) << args;
    std::vector<std::string> names = cow_files(dir_ / "first");
    ASSERT_EQ(names.size(), 1u) << args;
    std::string first = slurp(dir_ / "first" / names[0]);
    const std::string prefix = "# found by: cowcheck ";
    std::size_t at = first.find(prefix);
    ASSERT_NE(at, std::string::npos) << first;
    at += prefix.size();
    std::string found_by = first.substr(at, first.find('\n', at) - at);
    std::istringstream words(args);
    for (std::string flag, value; words >> flag;)
      if (flag.starts_with("--") && words >> value) {
        EXPECT_NE(found_by.find(flag + " " + value), std::string::npos)
            << flag << " " << value << " is not on the line: " << found_by;
      }
    ASSERT_EQ(cowcheck(found_by + " --out again").status, 1) << found_by;
    EXPECT_EQ(slurp(dir_ / "again" / names[0]), first) << found_by;
  }
}

// Each used to be taken: --threads 100000 aborted, -1 wrapped to 2^64-1,
// NaN and 1e300 seconds were accepted.
TEST_F(Findings, NumbersOutOfRangeAreUsageErrors) {
  for (const char* args :
       {"explore --threads 100000", "explore --threads -1", "explore --max-states 0",
        "explore --timeout nan", "explore --depth 1000001", "check --seed -1", "check --runs 0",
        "check --max-ops 1001", "diff --seed -1", "diff --snapshot-every 0", "prove --timeout nan",
        "prove --timeout inf", "prove --timeout 1e300", "prove --timeout -1", "prove --values 0",
        "prove --depth 0"}) {
    Result r = cowcheck(args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.out << r.err;
    EXPECT_FALSE(r.signalled) << args;
  }
  Result threads = cowcheck("explore --threads 100000");
  EXPECT_NE(threads.err.find("--threads: '100000' is not a whole number from 0 to 256"),
            std::string::npos)
      << threads.err;
}

}  // namespace
