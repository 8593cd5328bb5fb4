// The worker boundary: each way a plug-in can stop is reported as what it
// is, the oracle survives it, and a library that cannot be used is a load
// error, not a finding.
#include "impl/plugin/plugin_impl.h"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "checker/harness.h"

namespace cow::plugin {
namespace {

using Kind = ImplementationStopped::Kind;

std::string library(const std::string& name) {
  return std::string(TEST_PLUGIN_DIR) + "/" + name + ".so";
}

WorkerLimits quick() {
  WorkerLimits limits;
  limits.op_timeout = std::chrono::milliseconds(300);
  limits.memory_bytes = std::size_t{128} << 20;
  return limits;
}

Kind stop_kind(const std::string& name, std::string* what = nullptr) {
  PluginImplementation impl(library(name), Config{}, quick(), WORKER);
  try {
    impl.apply(Op::fork(1));
  } catch (const ImplementationStopped& e) {
    if (what) *what = e.what();
    return e.kind();
  }
  ADD_FAILURE() << name << " did not stop";
  return Kind::Crash;
}

TEST(Plugin, ASegfaultIsACrashNamingTheSignal) {
  std::string what;
  EXPECT_EQ(stop_kind("misbehave_segv", &what), Kind::Crash);
  EXPECT_NE(what.find("SIGSEGV"), std::string::npos) << what;
}

TEST(Plugin, AnAbortIsACrash) {
  std::string what;
  EXPECT_EQ(stop_kind("misbehave_abort", &what), Kind::Crash);
  EXPECT_NE(what.find("SIGABRT"), std::string::npos) << what;
}

TEST(Plugin, NoAnswerInTimeIsAHangAndTheWorkerIsKilled) {
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(stop_kind("misbehave_hang"), Kind::Hang);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST(Plugin, CallingExitIsAnExit) {
  std::string what;
  EXPECT_EQ(stop_kind("misbehave_exit", &what), Kind::Exit);
  EXPECT_NE(what.find("exit(3)"), std::string::npos) << what;
}

TEST(Plugin, ExhaustingMemoryIsAnOomAtTheLimit) {
  std::string what;
  EXPECT_EQ(stop_kind("misbehave_oom", &what), Kind::OutOfMemory);
  EXPECT_NE(what.find("memory limit of 128 MiB"), std::string::npos) << what;
}

TEST(Plugin, AnUndefinedStatusIsACrashInTheHarness) {
  Config config;
  Harness harness(
      std::make_unique<PluginImplementation>(library("misbehave_status"), config, quick(), WORKER),
      config);
  auto v = harness.step(Op::fork(1));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, InvariantId::CRASH);
  EXPECT_NE(v->detail.find("status 42"), std::string::npos) << v->detail;
}

TEST(Plugin, TheHarnessSurvivesAndKeepsReporting) {
  Config config;
  Harness harness(
      std::make_unique<PluginImplementation>(library("misbehave_segv"), config, quick(), WORKER),
      config);
  EXPECT_FALSE(harness.step(Op::write(1, 0, 1)));  // a black box that answers
  auto v = harness.step(Op::fork(1));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, InvariantId::CRASH);
  v = harness.step(Op::read(1, 0));  // the worker is gone: still a finding, not a crash of ours
  ASSERT_TRUE(v);
  EXPECT_EQ(v->id, InvariantId::CRASH);
}

TEST(Plugin, LibrariesThatCannotBeUsedAreLoadErrors) {
  for (const char* name : {"bad_create", "bad_version", "bad_no_entry", "no_such_file"}) {
    EXPECT_THROW(PluginImplementation(library(name), Config{}, quick(), WORKER), PluginLoadError)
        << name;
  }
  try {
    PluginImplementation(library("bad_version"), Config{}, quick(), WORKER);
  } catch (const PluginLoadError& e) {
    EXPECT_NE(std::string(e.what()).find("ABI version 99"), std::string::npos) << e.what();
  }
}

TEST(Plugin, NoWorkerIsLeftBehind) {
  for (int i = 0; i < 5; ++i) {
    PluginImplementation impl(library("misbehave_hang"), Config{}, quick(), WORKER);
    impl.apply(Op::write(1, 0, 1));
  }
  // The last worker waits in the pool for the next run; released, every
  // worker has been killed and reaped: none to wait for.
  release_idle_workers();
  EXPECT_EQ(::waitpid(-1, nullptr, WNOHANG), -1);
  EXPECT_EQ(errno, ECHILD);
}

// Through the command line: a finding is exit 1 with its file, a library
// that cannot be used is exit 2 naming why.
int cowcheck(const std::string& args) {
  int raw =
      std::system((std::string("'" COWCHECK_BINARY "' ") + args + " >/dev/null 2>&1").c_str());
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

TEST(PluginCli, EachWayOfStoppingIsReportedWithAFile) {
  std::string out = ::testing::TempDir() + "/plugin-cli";
  const std::pair<const char*, const char*> cases[] = {{"misbehave_segv", "CRASH"},
                                                       {"misbehave_abort", "CRASH"},
                                                       {"misbehave_hang", "HANG"},
                                                       {"misbehave_oom", "OOM"},
                                                       {"misbehave_exit", "EXIT"}};
  for (auto [name, kind] : cases) {
    EXPECT_EQ(cowcheck("check --op-timeout 200 --plugin-memory 128 --impl plugin:" + library(name) +
                       " --out " + out),
              1)
        << name;
    std::ifstream file(out + "/plugin-" + name + ".cow");
    std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    EXPECT_NE(text.find(std::string("\ninvariant ") + kind + "\n"), std::string::npos) << text;
  }
}

TEST(PluginCli, AnUnusableLibraryIsBadInput) {
  EXPECT_EQ(cowcheck("check --impl plugin:" + library("bad_version")), 2);
  EXPECT_EQ(cowcheck("check --impl plugin:" + library("no_such_file")), 2);
}

}  // namespace
}  // namespace cow::plugin
