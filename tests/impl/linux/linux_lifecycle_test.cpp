// Real processes must never outlive their use: not after a normal run, not
// after a server crashed or hung, not after the oracle itself died.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "impl/linux/linux_cow.h"
#include "tests/impl/linux/linux_test_util.h"

namespace cow::linux_host {
namespace {

using Kind = ImplementationStopped::Kind;
using Clock = std::chrono::steady_clock;

// Runs `op` and returns how it stopped the implementation (it must).
ImplementationStopped stop_of(LinuxCow& host, const Op& op) {
  try {
    host.apply(op);
  } catch (const ImplementationStopped& e) {
    return e;
  }
  ADD_FAILURE() << to_string(op) << " did not stop the implementation";
  return ImplementationStopped(Kind::Exit, "");
}

// Gone, or a zombie waiting for whoever inherited it.
bool dead(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return true;
  std::size_t paren = line.rfind(')');
  return paren == std::string::npos || line.substr(paren + 2, 1) == "Z";
}

TEST(LinuxLifecycle, NoProcessIsLeftAfterDestruction) {
  for (int i = 0; i < 5; ++i) {
    LinuxCow host(Config{});
    apply_all(host, {Op::fork(1), Op::fork(2), Op::fork(1), Op::exit(2), Op::write(3, 0, 1),
                     Op::fork(3)});
  }
  EXPECT_TRUE(no_child_left());
}

TEST(LinuxLifecycle, ExitingEveryProcessLeavesNothingToKill) {
  {
    LinuxCow host(Config{});
    apply_all(host, {Op::fork(1), Op::exit(1)});
    EXPECT_EQ(host.apply(Op::exit(2)), Outcome::ok());
    EXPECT_EQ(host.apply(Op::read(2, 0)), Outcome::error(Status::NoSuchProcess));
    EXPECT_TRUE(no_child_left());
  }
  EXPECT_TRUE(no_child_left());
}

// Threads are not waited for; their process is, with its last task, even
// when that is a thread and the first task exited long before.
TEST(LinuxLifecycle, AProcessIsReapedWithItsLastTaskWhicheverItIs) {
  {
    LinuxCow host(Config{});
    apply_all(host, {Op::thread(1), Op::thread(1), Op::exit(1), Op::write(2, 0, 5)});
    EXPECT_EQ(host.apply(Op::read(3, 0)), Outcome::read(5));
    EXPECT_EQ(host.apply(Op::exit(2)), Outcome::ok());
    EXPECT_FALSE(no_child_left());  // pid 3 still runs
    EXPECT_EQ(host.apply(Op::exit(3)), Outcome::ok());
    EXPECT_TRUE(no_child_left());
  }
  EXPECT_TRUE(no_child_left());
}

// An exec from a thread takes over its process; a stack a thread left is
// given again; whatever is live at the end is killed and reaped.
TEST(LinuxLifecycle, ThreadsAndTheirExecsLeaveNothingBehind) {
  for (int i = 0; i < 3; ++i) {
    LinuxCow host(with_procs(4));
    apply_all(host, {Op::thread(1), Op::thread(2), Op::exit(3), Op::thread(1), Op::exec(4),
                     Op::thread(4), Op::fork(5), Op::thread(6)});
    EXPECT_EQ(host.apply(Op::read(1, 0)), Outcome::error(Status::NoSuchProcess));
    EXPECT_EQ(host.apply(Op::thread(7)), Outcome::error(Status::ProcLimit));
  }
  EXPECT_TRUE(no_child_left());
}

TEST(LinuxLifecycle, AServerThatDiesIsACrashAndTakesTheRestWithIt) {
  LinuxCow host(Config{});
  apply_all(host, {Op::fork(1), Op::fork(2), Op::fork(1)});
  ASSERT_EQ(::kill(*host.host_pid(2), SIGKILL), 0);
  ImplementationStopped e = stop_of(host, Op::read(2, 0));
  EXPECT_EQ(e.kind(), Kind::Crash);
  EXPECT_NE(std::string(e.what()).find("pid 2"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("killed by signal 9"), std::string::npos) << e.what();
  EXPECT_TRUE(no_child_left());  // before the destructor: stopping reaps everything
  EXPECT_EQ(stop_of(host, Op::read(1, 0)).kind(), Kind::Crash);  // and stays stopped
}

TEST(LinuxLifecycle, AParentThatDiesBeforeForkingIsACrash) {
  LinuxCow host(Config{});
  host.apply(Op::fork(1));
  ASSERT_EQ(::kill(*host.host_pid(1), SIGKILL), 0);
  EXPECT_EQ(stop_of(host, Op::fork(1)).kind(), Kind::Crash);
  EXPECT_TRUE(no_child_left());
}

TEST(LinuxLifecycle, AServerThatStopsAnsweringIsAHang) {
  std::unique_ptr<LinuxCow> host = host_with_a_stopped_server({Op::fork(1)});
  auto start = Clock::now();
  ImplementationStopped e = stop_of(*host, Op::write(1, 0, 1));
  EXPECT_EQ(e.kind(), Kind::Hang);
  EXPECT_NE(std::string(e.what()).find("within 200 ms"), std::string::npos) << e.what();
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_TRUE(no_child_left());
}

// A vfork parent sleeps in the kernel until its child leaves; a child that
// dies instead still lets it go (exit_mm), and the oracle says who died.
TEST(LinuxLifecycle, AVforkChildThatDiesIsACrashAndItsParentIsReaped) {
  LinuxCow host(Config{});
  apply_all(host, {Op::vfork(1), Op::vfork(2)});
  ASSERT_EQ(::kill(*host.host_pid(3), SIGKILL), 0);
  ImplementationStopped e = stop_of(host, Op::read(3, 0));
  EXPECT_EQ(e.kind(), Kind::Crash);
  EXPECT_NE(std::string(e.what()).find("pid 3"), std::string::npos) << e.what();
  EXPECT_TRUE(no_child_left());
}

// Sleeping in vfork, exec'd, or both: every server goes with the instance.
TEST(LinuxLifecycle, VforkParentsAndExecdServersAreReapedToo) {
  {
    LinuxCow host(Config{});
    apply_all(host, {Op::fork(1), Op::exec(2), Op::vfork(2), Op::vfork(3), Op::exec(4),
                     Op::pin_page(4, 0), Op::fork(4)});
    EXPECT_EQ(host.apply(Op::read(2, 0)), Outcome::error(Status::Suspended));
  }
  EXPECT_TRUE(no_child_left());
}

// An exec'd server that hangs is a HANG like any other.
TEST(LinuxLifecycle, AnExecdServerThatStopsAnsweringIsAHang) {
  std::unique_ptr<LinuxCow> host = host_with_a_stopped_server({Op::exec(1)});
  EXPECT_EQ(stop_of(*host, Op::read(1, 0)).kind(), Kind::Hang);
  EXPECT_TRUE(no_child_left());
}

// Each instance kills, reaps and detects the death of its own servers only.
TEST(LinuxLifecycle, InstancesAreIndependent) {
  LinuxCow second(Config{});
  {
    LinuxCow first(Config{});
    first.apply(Op::fork(1));
    second.apply(Op::fork(1));
    EXPECT_EQ(first.apply(Op::write(2, 0, 1)).status, Status::Ok);
  }
  EXPECT_EQ(second.apply(Op::read(2, 0)), Outcome::read(0));
  ASSERT_EQ(::kill(*second.host_pid(2), SIGKILL), 0);
  EXPECT_EQ(stop_of(second, Op::read(2, 0)).kind(), Kind::Crash);
  EXPECT_TRUE(no_child_left());
}

// An oracle killed outright runs no destructor: the kernel kills its
// servers (PR_SET_PDEATHSIG).
TEST(LinuxLifecycle, ServersDieWithTheOracle) {
  int pids[2];
  ASSERT_EQ(::pipe(pids), 0);
  pid_t oracle = ::fork();
  ASSERT_GE(oracle, 0);
  if (oracle == 0) {
    LinuxCow* host = new LinuxCow(Config{});  // never destroyed, on purpose
    // Forked, exec'd, asleep in vfork, and a vfork child.
    apply_all(*host, {Op::fork(1), Op::fork(2), Op::exec(3), Op::vfork(1)});
    for (Pid pid = 1; pid <= 4; ++pid) {
      pid_t h = *host->host_pid(pid);
      if (::write(pids[1], &h, sizeof h) != static_cast<ssize_t>(sizeof h)) ::_exit(2);
    }
    ::_exit(0);  // no destructor, no atexit: as if killed
  }
  ::close(pids[1]);
  std::vector<pid_t> servers;
  pid_t h;
  while (::read(pids[0], &h, sizeof h) == static_cast<ssize_t>(sizeof h)) servers.push_back(h);
  ::close(pids[0]);
  int status = 0;
  ASSERT_EQ(::waitpid(oracle, &status, 0), oracle);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ASSERT_EQ(servers.size(), 4u);
  auto deadline = Clock::now() + std::chrono::seconds(5);
  for (pid_t server : servers) {
    while (!dead(server) && Clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    EXPECT_TRUE(dead(server)) << "host pid " << server << " outlived its oracle";
  }
  EXPECT_TRUE(no_child_left());
}

}  // namespace
}  // namespace cow::linux_host
