// replay as a user meets it: a .cow file is data (its plug-in runs only when
// trusted, found beside the file), a plug-in that dies before answering is a
// finding, steps are shown as they run and a stop as the stop; and the
// command line's flags: bounded numbers, plain-text help.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "tests/support/cowcheck_runner.h"

namespace {

namespace fs = std::filesystem;

using cow::test::slurp;
using Result = cow::test::CommandResult;

bool has_control_bytes(std::string_view text) {
  for (char c : text)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\n') || c == 0x7f) return true;
  return false;
}

class ReplayCli : public cow::test::CowcheckTest {
 protected:
  // Stopped after `seconds`: a replay must not block.
  Result cowcheck(const std::string& args, int seconds = 120) {
    cow::test::RunOptions how;
    how.env = "COWCHECK_TEST_MARKER='" + marker().string() + "' ";
    how.timeout_seconds = seconds;
    return CowcheckTest::cowcheck(args, how);
  }
  // A copy of a test plug-in in dir_/libs, as a library shipped with a .cow file would be.
  void ship(const std::string& plugin) {
    fs::create_directories(dir_ / "libs");
    fs::copy_file(fs::path(TEST_PLUGIN_DIR) / ("libearly-" + plugin + ".so"),
                  dir_ / "libs" / ("libearly-" + plugin + ".so"));
  }
  fs::path marker() const { return dir_ / "the-library-ran"; }
};

// A .cow file in cases/, naming a plug-in in libs/ relative to itself.
std::string plugin_file(const std::string& plugin, const std::string& invariant) {
  return "cowcheck 1\nimpl plugin:../libs/libearly-" + plugin +
         ".so\nconfig pages=4 frames=16 procs=8 words=2\ninvariant " + invariant +
         "\nfork 1\nwrite 2 0 1\n";
}

TEST_F(ReplayCli, AFilesPluginIsNotLoadedUnlessTrusted) {
  ship("marker");
  write("cases/x.cow", plugin_file("marker", "none"));
  Result r = cowcheck("replay cases/x.cow");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_FALSE(fs::exists(marker())) << "the library's constructor ran";
  EXPECT_NE(r.err.find("cases/x.cow:2: not loading libs/libearly-marker.so"), std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("--trust-file-impl"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("replay cases/x.cow on model\n"), std::string::npos) << r.out;
}

TEST_F(ReplayCli, ATrustedFilesPluginIsFoundBesideTheFileAndRun) {
  ship("marker");
  write("cases/x.cow", plugin_file("marker", "none"));
  Result r = cowcheck("replay --trust-file-impl cases/x.cow");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(marker()));
  EXPECT_NE(r.out.find("on plugin:libs/libearly-marker.so\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ok cow-copy"), std::string::npos) << r.out;
}

TEST_F(ReplayCli, APluginNamedOnTheCommandLineIsTrusted) {
  ship("marker");
  write("cases/x.cow", "cowcheck 1\nimpl model\ninvariant none\nfork 1\n");
  Result r = cowcheck("replay cases/x.cow --impl plugin:libs/libearly-marker.so");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(fs::exists(marker()));
}

TEST_F(ReplayCli, TheHelpStatesTheTrustRule) {
  Result r = cowcheck("replay --help");
  EXPECT_NE(r.out.find("--trust-file-impl"), std::string::npos);
  EXPECT_NE(r.out.find("only with --trust-file-impl"), std::string::npos) << r.out;
}

// A plug-in that dies before answering anything, replayed: the finding it
// is (exit 1), never bad input (exit 2).
struct EarlyDeath {
  const char* plugin;
  const char* kind;
};

class ReplayEarlyDeath : public ReplayCli, public ::testing::WithParamInterface<EarlyDeath> {};

TEST_P(ReplayEarlyDeath, IsReportedAsTheFindingItIs) {
  ship(GetParam().plugin);
  write("cases/x.cow", plugin_file(GetParam().plugin, GetParam().kind));
  Result r = cowcheck("replay --trust-file-impl --op-timeout 100 cases/x.cow --json");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  nlohmann::json result = nlohmann::json::parse(r.out)["results"][0];
  EXPECT_EQ(result["invariant"], GetParam().kind) << result.dump();
  EXPECT_EQ(result["failed_at"], 0) << result.dump();
}

INSTANTIATE_TEST_SUITE_P(Plugins, ReplayEarlyDeath,
                         ::testing::Values(EarlyDeath{"ctor_abort", "CRASH"},
                                           EarlyDeath{"ctor_exit", "EXIT"},
                                           EarlyDeath{"create_segv", "CRASH"},
                                           EarlyDeath{"create_hang", "HANG"}),
                         [](const auto& info) { return std::string(info.param.plugin); });

TEST_F(ReplayCli, AStepThatStoppedShowsTheStopNotTheStepBefore) {
  Result r = cowcheck("replay '" COWCHECK_SOURCE_DIR "/counterexamples/zoo-calls-exit.cow' --json");
  EXPECT_EQ(r.status, 1) << r.err;
  nlohmann::json steps = nlohmann::json::parse(r.out)["results"][0]["steps"];
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0]["outcome"], "ok child=2");
  EXPECT_EQ(steps[1]["outcome"], "EXIT");
}

TEST_F(ReplayCli, StepsArePrintedAsTheyRun) {
  // The third op loops forever in the plug-in; stopped from outside before
  // the op timeout, the first two steps are already out.
  Result r = cowcheck(
      "replay --op-timeout 600000 '" COWCHECK_SOURCE_DIR "/counterexamples/zoo-fault-loop.cow'", 5);
  EXPECT_EQ(r.status, 124);  // timeout's status: it was still running
  EXPECT_NE(r.out.find("  2. write 2 0 1      ok cow-copy\n"), std::string::npos) << r.out;
}

TEST_F(ReplayCli, AFifoOrADeviceIsBadInputAtOnce) {
  ASSERT_EQ(::mkfifo((dir_ / "pipe.cow").c_str(), 0600), 0);
  Result fifo = cowcheck("replay pipe.cow", 20);
  EXPECT_EQ(fifo.status, 2);
  EXPECT_EQ(fifo.err, "pipe.cow: not a regular file (a .cow file is a text file)\n");
  Result zero = cowcheck("replay /dev/zero", 20);
  EXPECT_EQ(zero.status, 2);
  Result missing = cowcheck("replay missing.cow");
  EXPECT_EQ(missing.status, 2);
  EXPECT_EQ(missing.err, "missing.cow: cannot open: No such file or directory\n");
}

TEST_F(ReplayCli, BytesFromTheFileAreEscapedInMessages) {
  write("evil.cow", std::string("cowcheck 1\nimpl model\nfork 1\x1b]0;owned\x07\n"));
  Result r = cowcheck("replay evil.cow");
  EXPECT_EQ(r.status, 2);
  EXPECT_FALSE(has_control_bytes(r.err)) << r.err;
  EXPECT_EQ(r.err, "evil.cow:3: control byte \\x1b in the line (a .cow file is text)\n");
}

TEST_F(ReplayCli, SeedMinusOneIsAUsageErrorNotTwoToTheSixtyFourMinusOne) {
  for (const char* command : {"check", "diff"}) {
    Result r = cowcheck(std::string(command) + " --seed -1 --runs 1 --out out");
    EXPECT_EQ(r.status, 2) << command << ": " << r.out;
    EXPECT_NE(r.err.find("'-1' is not a whole number"), std::string::npos) << r.err;
  }
}

TEST_F(ReplayCli, NumericFlagsAreBounded) {
  for (const char* args :
       {"explore --threads 100000", "check --pages -1", "check --frames 0", "explore --depth 5000",
        "prove --timeout 1e400", "diff --runs -5", "explore --max-states 0"}) {
    Result r = cowcheck(args);
    EXPECT_EQ(r.status, 2) << args << ": " << r.out << r.err;
  }
}

TEST_F(ReplayCli, AWordOptionsErrorNamesTheWordsWhole) {
  Result r = cowcheck("check --policy sometimes");
  EXPECT_EQ(r.status, 2);
  EXPECT_FALSE(has_control_bytes(r.err)) << r.err;
  EXPECT_NE(r.err.find("'sometimes' is not one of mapcount,pagecount,exclusive"), std::string::npos)
      << r.err;
  Result ok = cowcheck("check --policy mapcount --oom kill --runs 2 --out out --json");
  EXPECT_EQ(ok.status, 0) << ok.err;
}

TEST_F(ReplayCli, EveryHelpIsPlainTextNamingTheAcceptedWords) {
  for (const char* command :
       {"", "check", "replay", "impls", "diff", "prove", "explore", "bench"}) {
    Result r = cowcheck(std::string(command) + " --help");
    EXPECT_EQ(r.status, 0) << command;
    EXPECT_FALSE(has_control_bytes(r.out)) << command << ":\n" << r.out;
    bool machine = std::string_view(command) != "" && std::string_view(command) != "impls" &&
                   std::string_view(command) != "bench" && std::string_view(command) != "replay";
    if (machine) {
      EXPECT_NE(r.out.find("--policy {mapcount,pagecount,exclusive}"), std::string::npos) << r.out;
      EXPECT_NE(r.out.find("--oom {error,kill}"), std::string::npos) << r.out;
    }
    // Every numeric option shows its range.
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      bool numeric = line.find(" INT") != std::string::npos ||
                     line.find(" UINT") != std::string::npos ||
                     line.find(" FLOAT") != std::string::npos;
      if (numeric) {
        // CLI11's "in [lo - hi]" or cli/bounded_option.h's "in lo..hi".
        EXPECT_TRUE(line.find("in [") != std::string::npos || line.find("..") != std::string::npos)
            << command << ": " << line;
      }
    }
  }
}

}  // namespace
