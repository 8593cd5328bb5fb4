#include "impl/plugin/worker_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <vector>

#include "spec/implementation.h"
#include "spec/reuse_policy.h"

namespace cow::plugin {

namespace {

using Kind = ImplementationStopped::Kind;
using std::chrono::milliseconds;
using std::chrono::nanoseconds;

// How often a waiting oracle looks at the worker. Only how soon a verdict
// comes depends on it, never which verdict.
constexpr int kPollMs = 20;

// ---- Every live worker's process group, for the signal handler ----------

constexpr int kMaxWorkers = 1024;
std::atomic<pid_t> worker_groups[kMaxWorkers];

std::atomic<std::uint64_t> started{0};

void remember_group(pid_t group) {
  for (auto& slot : worker_groups) {
    pid_t empty = 0;
    if (slot.compare_exchange_strong(empty, group)) return;
  }
}

void forget_group(pid_t group) {
  for (auto& slot : worker_groups) {
    pid_t expected = group;
    if (slot.compare_exchange_strong(expected, 0)) return;
  }
}

// A cowcheck stopped by SIGINT or SIGTERM takes its workers (and whatever
// their plug-ins forked) with it, then dies of the same signal.
void on_fatal_signal(int sig) {
  kill_all_workers();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
}

void install_cleanup() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction old {};
      ::sigaction(sig, nullptr, &old);
      if (old.sa_handler != SIG_DFL) continue;  // ignored, or someone else's: leave it
      struct sigaction act {};
      act.sa_handler = on_fatal_signal;
      ::sigemptyset(&act.sa_mask);
      ::sigaction(sig, &act, nullptr);
    }
    std::atexit(kill_all_workers);
  });
}

// ---- What the worker is doing, from outside -----------------------------

nanoseconds cpu_time(pid_t pid) {
  clockid_t clock;
  timespec ts{};
  if (::clock_getcpuclockid(pid, &clock) != 0 || ::clock_gettime(clock, &ts) != 0)
    return nanoseconds{0};
  return std::chrono::seconds(ts.tv_sec) + nanoseconds(ts.tv_nsec);
}

// The size of its address space (what RLIMIT_AS limits), in bytes.
std::size_t address_space(pid_t pid) {
  char path[64];
  std::snprintf(path, sizeof path, "/proc/%d/statm", static_cast<int>(pid));
  std::FILE* f = std::fopen(path, "r");
  if (!f) return 0;
  unsigned long pages = 0;
  if (std::fscanf(f, "%lu", &pages) != 1) pages = 0;
  std::fclose(f);
  return pages * static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

std::string mib(std::size_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

// Runs in the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_worker(char* const* argv, int request_read, int reply_write, int progress_fd,
                              std::size_t memory_bytes, pid_t oracle) {
  // Its own group, so that stopping it stops whatever the plug-in forked;
  // and its death with ours, even by SIGKILL.
  ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != oracle) ::_exit(127);
  rlimit memory{memory_bytes, memory_bytes};
  ::setrlimit(RLIMIT_AS, &memory);
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  // Move the descriptors to the fixed numbers by way of high ones, so that
  // no dup2 clobbers another.
  int request = ::fcntl(request_read, F_DUPFD, 10);
  int reply = ::fcntl(reply_write, F_DUPFD, 10);
  int progress = ::fcntl(progress_fd, F_DUPFD, 10);
  ::dup2(request, wire::kRequestFd);
  ::dup2(reply, wire::kReplyFd);
  ::dup2(progress, wire::kProgressFd);
  ::execv(argv[0], argv);
  ::_exit(127);
}

}  // namespace

std::uint64_t workers_started() { return started.load(); }

void kill_all_workers() {
  for (auto& slot : worker_groups)
    if (pid_t group = slot.load(); group > 0) ::kill(-group, SIGKILL);
}

std::string default_worker_path() {
  if (const char* env = std::getenv("COWCHECK_WORKER")) return env;
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "cowcheck-worker").string();
}

WorkerProcess::WorkerProcess(const std::string& worker, const std::string& plugin_path,
                             const Config& config, const WorkerLimits& limits)
    : limits_(limits), plugin_(plugin_path), budget_(limits.op_timeout + kStartAllowance) {
  if (::access(worker.c_str(), X_OK) != 0)
    throw PluginLoadError("cannot run the worker " + worker + ": " + std::strerror(errno));
  if (::access(plugin_path.c_str(), R_OK) != 0)
    throw PluginLoadError(plugin_path + ": " + std::strerror(errno));
  // A write to a worker that died must be an error we see, not our death.
  std::signal(SIGPIPE, SIG_IGN);
  install_cleanup();

  int progress_fd = ::memfd_create("cowcheck-progress", MFD_CLOEXEC);
  if (progress_fd < 0 || ::ftruncate(progress_fd, sizeof(wire::Progress)) != 0)
    throw std::runtime_error(std::string("memfd: ") + std::strerror(errno));
  void* shared =
      ::mmap(nullptr, sizeof(wire::Progress), PROT_READ | PROT_WRITE, MAP_SHARED, progress_fd, 0);
  if (shared == MAP_FAILED) {
    ::close(progress_fd);
    throw std::runtime_error(std::string("mmap: ") + std::strerror(errno));
  }
  progress_ = static_cast<wire::Progress*>(shared);
  spin_ = wire::many_cpus();

  int request[2], reply[2];
  if (::pipe2(request, O_CLOEXEC) != 0 || ::pipe2(reply, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<std::string> argv = {worker,
                                   plugin_path,
                                   std::to_string(config.pages),
                                   std::to_string(config.frames),
                                   std::to_string(config.procs),
                                   std::to_string(config.words),
                                   std::to_string(policy_info(config.policy).abi),
                                   std::to_string(static_cast<unsigned>(config.oom))};
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t oracle = ::getpid();
  pid_ = ::fork();
  if (pid_ == 0)
    exec_worker(args.data(), request[0], reply[1], progress_fd, limits.memory_bytes, oracle);
  ::close(request[0]);
  ::close(reply[1]);
  ::close(progress_fd);
  request_fd_ = request[1];
  reply_fd_ = reply[0];
  if (pid_ < 0) {
    ::close(request_fd_);
    ::close(reply_fd_);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  ::setpgid(pid_, pid_);  // also here, so that the group exists before we could kill it
  remember_group(pid_);
  ++started;
  pidfd_ = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));

  new_marks(budget_);
  wire::Hello hello{};
  receive(&hello, sizeof hello);
  if (hello.magic != wire::kHelloMagic) {
    kill_and_reap();
    throw PluginLoadError(worker + " is not a cowcheck worker");
  }
  if (!hello.ok) {
    std::string why(std::min<std::uint32_t>(hello.message_length, 4096), '\0');
    receive(why.data(), why.size());
    kill_and_reap();
    throw PluginLoadError(plugin_path + ": " + why);
  }
  white_box_ = hello.white_box != 0;
  abi_version_ = hello.abi_version;
  ops_ = hello.ops;
  map_kinds_ = hello.map_kinds;
  activity_ = "answering";
}

WorkerProcess::~WorkerProcess() {
  kill_and_reap();
  if (progress_) ::munmap(progress_, sizeof(wire::Progress));
}

void WorkerProcess::send(const void* data, std::size_t size) {
  if (pid_ < 0) throw ImplementationStopped(Kind::Crash, "the worker has already stopped");
  replies_at_send_ = __atomic_load_n(&progress_->replies, __ATOMIC_ACQUIRE);
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t put = ::write(request_fd_, p, size);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) stopped();
    p += put;
    size -= static_cast<std::size_t>(put);
  }
  __atomic_add_fetch(&progress_->requests, 1, __ATOMIC_RELEASE);
  // A new request: a fresh budget, counted from the worker's state now.
  new_marks(limits_.op_timeout);
}

void WorkerProcess::start_waiting(milliseconds cpu_budget) {
  if (pid_ < 0) throw ImplementationStopped(Kind::Crash, "the worker has already stopped");
  new_marks(cpu_budget);
}

void WorkerProcess::new_marks(milliseconds cpu_budget) {
  budget_ = cpu_budget;
  spun_ = false;
  mark_.calls = __atomic_load_n(&progress_->calls, __ATOMIC_ACQUIRE);
  mark_.wall = std::chrono::steady_clock::now();
  mark_.measured = false;
}

const std::string& WorkerProcess::activity() const {
  bool viewing = __atomic_load_n(&progress_->viewing, __ATOMIC_ACQUIRE) != 0;
  return viewing && !viewing_.empty() ? viewing_ : activity_;
}

void WorkerProcess::receive(void* data, std::size_t size) {
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    if (buffered_at_ < buffered_end_) {
      std::size_t n = std::min(size, buffered_end_ - buffered_at_);
      std::memcpy(p, buffer_.data() + buffered_at_, n);
      buffered_at_ += n;
      p += n;
      size -= n;
      continue;
    }
    if (pid_ < 0) throw ImplementationStopped(Kind::Crash, "the worker has already stopped");
    if (spin_ && !spun_) {
      spun_ = true;
      wire::spin_for_change(&progress_->replies, replies_at_send_);
    }
    pollfd ready[2] = {{reply_fd_, POLLIN, 0}, {pidfd_, POLLIN, 0}};
    int n = ::poll(ready, pidfd_ >= 0 ? 2 : 1, kPollMs);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) stopped();
    if (ready[0].revents != 0) {
      // All the worker has written, up to a pipe's worth: a reply and its
      // view usually arrive in one read.
      if (buffer_.empty()) buffer_.resize(std::size_t{1} << 16);
      buffered_at_ = buffered_end_ = 0;
      ssize_t got = ::read(reply_fd_, buffer_.data(), buffer_.size());
      if (got > 0) buffered_end_ = static_cast<std::size_t>(got);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) stopped();
      continue;
    }
    // The worker itself ended (a grandchild may still hold the pipe open):
    // its own wait status says how.
    if (ready[1].revents != 0) stopped();
    if (pidfd_ < 0) {  // no pidfd (a kernel before 5.3): ask for its end instead
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
          info.si_pid == pid_)
        stopped();
    }
    judge_progress(budget_);
  }
}

void WorkerProcess::judge_progress(milliseconds cpu_budget) {
  auto now = std::chrono::steady_clock::now();
  std::uint32_t calls = __atomic_load_n(&progress_->calls, __ATOMIC_ACQUIRE);
  nanoseconds cpu = cpu_time(pid_);
  std::size_t memory = address_space(pid_);
  if (!mark_.measured) {
    // The first look since the request: its CPU time starts from here.
    mark_.measured = true;
    mark_.cpu = cpu;
    mark_.memory = std::max(mark_.memory, memory);
    if (calls == mark_.calls) return;
  }
  if (calls != mark_.calls || memory > mark_.memory) {
    // A call into the plug-in returned, or its memory grew toward the limit
    // (which bounds how long it can grow): not stuck.
    mark_ = {calls, cpu, std::max(memory, mark_.memory), now, true};
    return;
  }
  if (cpu - mark_.cpu >= cpu_budget) {
    auto spent = std::chrono::duration_cast<milliseconds>(cpu - mark_.cpu).count();
    // Spinning with its address space at the limit: it is retrying failed
    // allocations, not looping on its own.
    if (memory * 10 >= limits_.memory_bytes * 9) {
      std::size_t at = memory;
      kill_and_reap();
      throw ImplementationStopped(Kind::OutOfMemory,
                                  plugin_ + " spun for " + std::to_string(spent) +
                                      " ms of CPU time with its address space at " + mib(at) +
                                      ", its memory limit of " + mib(limits_.memory_bytes) +
                                      " (--plugin-memory), while " + activity() + " (killed)");
    }
    hang("spent " + std::to_string(spent) +
         " ms of CPU time without answering or returning from a call (the limit is " +
         std::to_string(cpu_budget.count()) + " ms of CPU: " +
         (cpu_budget == limits_.op_timeout
              ? "--op-timeout"
              : "--op-timeout plus " + std::to_string(kStartAllowance.count()) + " ms to start") +
         ")");
  }
  // The backstop for a worker that is not spinning: asleep or blocked, it
  // used under 1% of the wall time since it last made progress. A worker
  // that is merely slow for want of a CPU (a loaded machine) uses far more.
  auto waited = now - mark_.wall;
  if (waited >= limits_.blocked_timeout && (cpu - mark_.cpu) * 100 < waited)
    hang("made no progress for " +
         std::to_string(std::chrono::duration_cast<std::chrono::seconds>(waited).count()) +
         " s, using under 1% of a CPU (asleep or blocked: the backstop for a worker that does "
         "not spin)");
}

void WorkerProcess::hang(const std::string& why) {
  kill_and_reap();
  throw ImplementationStopped(Kind::Hang,
                              plugin_ + " " + why + " while " + activity() + " (killed)");
}

void WorkerProcess::reject(const std::string& what) {
  kill_and_reap();
  throw ImplementationStopped(Kind::Crash, plugin_ + ": " + what);
}

// The worker ended or closed its end: find out how from its own wait status.
void WorkerProcess::stopped() {
  int status = 0;
  rusage usage{};
  pid_t pid = pid_;
  buffered_at_ = buffered_end_ = 0;
  ::close(request_fd_);
  ::close(reply_fd_);
  request_fd_ = reply_fd_ = -1;
  // Its pipe closed before it ended (it is still writing why, or a plug-in
  // closed descriptors it does not own): wait for its end as for an answer.
  for (;;) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
        info.si_pid == pid)
      break;
    pollfd ended{pidfd_, POLLIN, 0};
    ::poll(&ended, pidfd_ >= 0 ? 1 : 0, kPollMs);
    judge_progress(budget_);
  }
  pid_t reaped = ::wait4(pid, &status, 0, &usage);
  if (reaped == 0 || reaped == -1) status = 0;
  ::kill(-pid, SIGKILL);  // whatever the plug-in forked
  forget_group(pid);
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  pid_ = -1;
  if (reaped != pid)
    throw ImplementationStopped(Kind::Crash, plugin_ + " vanished while " + activity());
  std::uint32_t pipe_errno = __atomic_load_n(&progress_->pipe_errno, __ATOMIC_ACQUIRE);
  if (pipe_errno != 0)
    throw ImplementationStopped(
        Kind::Crash, plugin_ + " broke its worker's pipe to the oracle (" +
                         std::strerror(static_cast<int>(pipe_errno)) +
                         ": the plug-in closed or reused descriptors 3-5) while " + activity());
  if (WIFEXITED(status))
    throw ImplementationStopped(
        Kind::Exit,
        plugin_ + " called exit(" + std::to_string(WEXITSTATUS(status)) + ") while " + activity());
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  std::size_t peak = std::max(static_cast<std::size_t>(usage.ru_maxrss) * 1024, std::size_t{0});
  // A plug-in that exhausts its address space usually dies touching the
  // NULL its malloc returned: tell that apart by what its memory did.
  bool at_limit = peak * 2 >= limits_.memory_bytes || mark_.memory * 10 >= limits_.memory_bytes * 9;
  if (at_limit)
    throw ImplementationStopped(
        Kind::OutOfMemory, plugin_ + " died (" + signal_name(sig) + ") at its memory limit of " +
                               mib(limits_.memory_bytes) + " (peak " + mib(peak) +
                               " resident) while " + activity());
  throw ImplementationStopped(
      Kind::Crash, plugin_ + " was killed by " + signal_name(sig) + " while " + activity());
}

void WorkerProcess::kill_and_reap() {
  buffered_at_ = buffered_end_ = 0;
  if (request_fd_ >= 0) ::close(request_fd_);
  if (reply_fd_ >= 0) ::close(reply_fd_);
  request_fd_ = reply_fd_ = -1;
  if (pid_ > 0) {
    ::kill(-pid_, SIGKILL);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    forget_group(pid_);
  }
  if (pidfd_ >= 0) ::close(pidfd_);
  pidfd_ = -1;
  pid_ = -1;
}

}  // namespace cow::plugin
