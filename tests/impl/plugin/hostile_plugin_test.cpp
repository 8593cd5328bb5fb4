// Plug-ins that attack their worker (tests/plugins/hostile_plugin.c): each
// that stops before answering is a finding of its kind, written by check and
// diff; a worker's own end decides how it ended, whatever its children do;
// no process of the oracle's outlives a run, interrupted or not; a hang is
// shrunk within a budget.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>

#include "checker/harness.h"
#include "checker/random_engine.h"
#include "impl/plugin/plugin_impl.h"

namespace cow::plugin {
namespace {

using Kind = ImplementationStopped::Kind;

std::string library(const std::string& name) {
  return std::string(TEST_PLUGIN_DIR) + "/" + name + ".so";
}

WorkerLimits quick() {
  WorkerLimits limits;
  limits.op_timeout = std::chrono::milliseconds(200);
  limits.blocked_timeout = std::chrono::milliseconds(1500);
  return limits;
}

// Every process that carries this test's mark in its environment: the
// workers it starts and whatever they fork inherit it.
const std::string& mark() {
  static const std::string m = [] {
    std::string value = "hostile-" + std::to_string(::getpid());
    ::setenv("COWCHECK_TEST_MARK", value.c_str(), 1);
    return "COWCHECK_TEST_MARK=" + value;
  }();
  return m;
}

int marked_processes() {
  int count = 0;
  DIR* proc = ::opendir("/proc");
  while (dirent* entry = ::readdir(proc)) {
    int pid = std::atoi(entry->d_name);
    if (pid <= 0 || pid == ::getpid()) continue;
    std::ifstream environ(std::string("/proc/") + entry->d_name + "/environ");
    std::string text((std::istreambuf_iterator<char>(environ)), std::istreambuf_iterator<char>());
    std::string stat_path = std::string("/proc/") + entry->d_name + "/stat";
    std::ifstream stat(stat_path);
    std::string pid_field, comm, state;
    stat >> pid_field >> comm >> state;
    if (state == "Z") continue;  // already dead, its parent (init) reaps it
    if (text.find(mark() + '\0') != std::string::npos ||
        (text.size() >= mark().size() && text.ends_with(mark())))
      ++count;
  }
  ::closedir(proc);
  return count;
}

// The kind and message of the stop while building the implementation.
std::pair<Kind, std::string> start_stop(const std::string& name,
                                        const WorkerLimits& limits = quick(),
                                        const std::string& worker = WORKER) {
  try {
    PluginImplementation impl(library(name), Config{}, limits, worker);
  } catch (const ImplementationStopped& e) {
    return {e.kind(), e.what()};
  }
  ADD_FAILURE() << name << " started";
  return {Kind::Crash, ""};
}

TEST(HostilePlugin, DyingBeforeTheFirstAnswerIsAStopOfItsKind) {
  EXPECT_EQ(start_stop("hostile_ctor_abort").first, Kind::Crash);
  EXPECT_EQ(start_stop("hostile_ctor_exit").first, Kind::Exit);
  EXPECT_EQ(start_stop("hostile_entry_segv").first, Kind::Crash);
  EXPECT_EQ(start_stop("hostile_create_segv").first, Kind::Crash);
  EXPECT_EQ(start_stop("hostile_create_sleep").first, Kind::Hang);
  // A worker binary that exits at once.
  EXPECT_EQ(start_stop("hostile_child_aborts", quick(), "/bin/true").first, Kind::Exit);
}

TEST(HostilePlugin, AHelloTimeoutNamesTheLimitItRanInto) {
  auto [kind, what] = start_stop("hostile_create_spin");
  EXPECT_EQ(kind, Kind::Hang);
  EXPECT_NE(what.find("1200 ms of CPU: --op-timeout plus 1000 ms to start"), std::string::npos)
      << what;
  EXPECT_NE(what.find("running create()"), std::string::npos) << what;
}

Kind fork_stop(const std::string& name, std::string* what = nullptr) {
  PluginImplementation impl(library(name), Config{}, quick(), WORKER);
  try {
    impl.apply(Op::fork(1));
  } catch (const ImplementationStopped& e) {
    if (what) *what = e.what();
    return e.kind();
  }
  return static_cast<Kind>(-1);
}

TEST(HostilePlugin, TheWorkersOwnEndDecidesNotItsChildren) {
  // It aborts while a child it forked keeps the pipe open: a CRASH, at once.
  EXPECT_EQ(fork_stop("hostile_abort_leaving_child"), Kind::Crash);
  // A child that aborts is not the worker's death: it answers.
  EXPECT_EQ(fork_stop("hostile_child_aborts"), static_cast<Kind>(-1));
}

TEST(HostilePlugin, ClosingTheWorkersDescriptorsIsNotExit) {
  std::string what;
  EXPECT_EQ(fork_stop("hostile_closes_fds", &what), Kind::Crash);
  EXPECT_NE(what.find("broke its worker's pipe"), std::string::npos) << what;
}

TEST(HostilePlugin, NoProcessOutlivesItsRuns) {
  ASSERT_EQ(marked_processes(), 0);
  for (int run = 0; run < 20; ++run) {
    PluginImplementation impl(library("hostile_forks_children"), Config{}, quick(), WORKER);
    impl.apply(Op::fork(1));
    impl.apply(Op::fork(2));
  }
  for (const char* name : {"hostile_abort_leaving_child", "hostile_create_spin"}) {
    try {
      PluginImplementation impl(library(name), Config{}, quick(), WORKER);
      impl.apply(Op::fork(1));
    } catch (const ImplementationStopped&) {
    }
  }
  // SIGKILLed processes leave /proc once reaped; give init a moment.
  for (int i = 0; i < 50 && marked_processes() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(marked_processes(), 0);
}

TEST(HostilePlugin, AnInterruptedCheckLeavesNoProcess) {
  mark();
  pid_t cli = ::fork();
  if (cli == 0) {
    ::execl(COWCHECK_BINARY, COWCHECK_BINARY, "check", "--op-timeout", "60000", "--impl",
            ("plugin:" + library("hostile_ctor_spin")).c_str(), "--out",
            (::testing::TempDir() + "/hostile-interrupted").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ASSERT_GT(cli, 0);
  // Wait until its worker spins in the constructor, then interrupt it.
  for (int i = 0; i < 500 && marked_processes() < 2; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(marked_processes(), 2);  // cowcheck and its worker
  ::kill(cli, SIGINT);
  int status = 0;
  ASSERT_EQ(::waitpid(cli, &status, 0), cli);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGINT) << status;
  for (int i = 0; i < 50 && marked_processes() > 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(marked_processes(), 0);
}

int cowcheck(const std::string& args, const std::string& env = "") {
  int raw = std::system((env + " '" COWCHECK_BINARY "' " + args + " >/dev/null 2>&1").c_str());
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
}

std::string read_file(const std::string& path) {
  std::ifstream file(path);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

TEST(HostilePluginCli, CheckAndDiffWriteAFindingForAPluginThatDiesStarting) {
  std::string out = ::testing::TempDir() + "/hostile-start";
  const std::pair<const char*, const char*> cases[] = {{"hostile_ctor_abort", "CRASH"},
                                                       {"hostile_ctor_exit", "EXIT"},
                                                       {"hostile_entry_segv", "CRASH"},
                                                       {"hostile_create_segv", "CRASH"},
                                                       {"hostile_create_spin", "HANG"}};
  for (const char* command : {"check", "diff"}) {
    for (auto [name, kind] : cases) {
      std::string file = out + "/" + command + "/plugin-" + name + ".cow";
      std::remove(file.c_str());
      std::string limit = command == std::string("check") ? " --op-timeout 200" : "";
      EXPECT_EQ(cowcheck(std::string(command) + limit + " --impl plugin:" + library(name) +
                         " --out " + out + "/" + command),
                1)
          << command << " " << name;
      EXPECT_NE(read_file(file).find(std::string("\ninvariant ") + kind + "\n"), std::string::npos)
          << command << " " << name << ": " << read_file(file);
    }
  }
  // A worker binary that exits at once.
  EXPECT_EQ(cowcheck("check --impl plugin:" + library("hostile_child_aborts") + " --out " + out +
                         "/worker",
                     "COWCHECK_WORKER=/bin/true"),
            1);
  EXPECT_NE(read_file(out + "/worker/plugin-hostile_child_aborts.cow").find("\ninvariant EXIT\n"),
            std::string::npos);
}

TEST(HostilePlugin, AHangIsShrunkWithinABudget) {
  // It spins at its 50th call: every candidate of 50 ops or more costs a
  // timeout. Count the workers started rather than time them.
  int started = 0;
  ImplFactory make = [&started]() -> std::unique_ptr<Implementation> {
    ++started;
    return std::make_unique<PluginImplementation>(library("hostile_spin_at_50"), Config{}, quick(),
                                                  WORKER);
  };
  CheckOptions options;
  options.max_ops = 60;
  options.runs = 5;
  CheckResult result = check_random(make, options);
  ASSERT_TRUE(result.finding);
  EXPECT_EQ(result.finding->violation.id, InvariantId::HANG);
  EXPECT_EQ(result.finding->ops.size(), 50u);
  EXPECT_FALSE(result.finding->notes.empty());
  EXPECT_LT(started, 200) << "shrinking re-ran the hang without a bound";
}

}  // namespace
}  // namespace cow::plugin
