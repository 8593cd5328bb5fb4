#include "impl/plugin/worker_process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "impl/plugin/wire.h"
#include "spec/implementation.h"

namespace cow::plugin {

namespace {

using Kind = ImplementationStopped::Kind;

// VmHWM of a live process, in bytes; 0 when it cannot be read.
std::size_t peak_resident(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (status >> key) {
    if (key == "VmHWM:") {
      std::size_t kib = 0;
      status >> kib;
      return kib * 1024;
    }
    status.ignore(1 << 12, '\n');
  }
  return 0;
}

std::string signal_name(int sig) {
  const char* abbrev = ::sigabbrev_np(sig);
  return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

// Runs in the child between fork and exec: only async-signal-safe calls.
[[noreturn]] void exec_worker(char* const* argv, int request_read, int reply_write,
                              std::size_t memory_bytes) {
  rlimit memory{memory_bytes, memory_bytes};
  ::setrlimit(RLIMIT_AS, &memory);
  rlimit no_core{0, 0};
  ::setrlimit(RLIMIT_CORE, &no_core);
  // Move the pipe ends to the fixed descriptors, by way of high numbers so
  // that neither dup2 clobbers the other.
  int request = ::fcntl(request_read, F_DUPFD, 10);
  int reply = ::fcntl(reply_write, F_DUPFD, 10);
  ::dup2(request, wire::kRequestFd);
  ::dup2(reply, wire::kReplyFd);
  ::execv(argv[0], argv);
  ::_exit(127);
}

}  // namespace

std::string default_worker_path() {
  if (const char* env = std::getenv("COWCHECK_WORKER")) return env;
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (self.parent_path() / "cowcheck-worker").string();
}

WorkerProcess::WorkerProcess(const std::string& worker, const std::string& plugin_path,
                             const Config& config, const WorkerLimits& limits)
    : limits_(limits), plugin_(plugin_path) {
  if (::access(worker.c_str(), X_OK) != 0)
    throw PluginLoadError("cannot run the worker " + worker + ": " + std::strerror(errno));
  if (::access(plugin_path.c_str(), R_OK) != 0)
    throw PluginLoadError(plugin_path + ": " + std::strerror(errno));
  // A write to a worker that died must be an error we see, not our death.
  std::signal(SIGPIPE, SIG_IGN);

  int request[2], reply[2];
  if (::pipe2(request, O_CLOEXEC) != 0 || ::pipe2(reply, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<std::string> argv = {worker,
                                   plugin_path,
                                   std::to_string(config.pages),
                                   std::to_string(config.frames),
                                   std::to_string(config.procs),
                                   std::to_string(config.words),
                                   std::to_string(static_cast<unsigned>(config.policy)),
                                   std::to_string(static_cast<unsigned>(config.oom))};
  std::vector<char*> args;
  for (std::string& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) exec_worker(args.data(), request[0], reply[1], limits.memory_bytes);
  ::close(request[0]);
  ::close(reply[1]);
  request_fd_ = request[1];
  reply_fd_ = reply[0];
  if (pid_ < 0) {
    ::close(request_fd_);
    ::close(reply_fd_);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }

  deadline_ = std::chrono::steady_clock::now() + limits_.op_timeout + std::chrono::seconds(5);
  wire::Hello hello{};
  receive(&hello, sizeof hello);
  if (hello.magic != wire::kHelloMagic) {
    kill_and_reap();
    throw PluginLoadError(worker + " is not a cowcheck worker");
  }
  if (!hello.ok) {
    std::string why(hello.message_length, '\0');
    receive(why.data(), why.size());
    kill_and_reap();
    throw PluginLoadError(plugin_path + ": " + why);
  }
  white_box_ = hello.white_box != 0;
  abi_version_ = hello.abi_version;
  ops_ = hello.ops;
  map_kinds_ = hello.map_kinds;
}

WorkerProcess::~WorkerProcess() { kill_and_reap(); }

void WorkerProcess::send(const void* data, std::size_t size) {
  if (pid_ < 0) throw ImplementationStopped(Kind::Crash, "the worker has already stopped");
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t put = ::write(request_fd_, p, size);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) stopped("receiving a request");
    p += put;
    size -= static_cast<std::size_t>(put);
  }
  deadline_ = std::chrono::steady_clock::now() + limits_.op_timeout;
}

void WorkerProcess::receive(void* data, std::size_t size) {
  if (pid_ < 0) throw ImplementationStopped(Kind::Crash, "the worker has already stopped");
  auto* p = static_cast<char*>(data);
  while (size > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline_ - std::chrono::steady_clock::now());
    pollfd ready{reply_fd_, POLLIN, 0};
    int n = left.count() > 0 ? ::poll(&ready, 1, static_cast<int>(left.count())) : 0;
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) timed_out();
    ssize_t got = ::read(reply_fd_, p, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) stopped("answering");
    p += got;
    size -= static_cast<std::size_t>(got);
  }
}

// No answer in time. A worker still filling its memory when the clock ran
// out (a slow machine) is an OOM in the making, not a hang: look at its
// peak resident size before killing it.
void WorkerProcess::timed_out() {
  std::size_t peak = peak_resident(pid_);
  kill_and_reap();
  std::string waited = std::to_string(limits_.op_timeout.count()) + " ms";
  if (peak * 2 >= limits_.memory_bytes)
    throw ImplementationStopped(Kind::OutOfMemory,
                                plugin_ + " was still growing at " + std::to_string(peak >> 20) +
                                    " MiB resident, near its memory limit of " +
                                    std::to_string(limits_.memory_bytes >> 20) + " MiB, after " +
                                    waited + " (killed)");
  throw ImplementationStopped(Kind::Hang, plugin_ + " did not answer within " + waited + " (killed)");
}

// The worker closed its end: find out how it died and say so.
void WorkerProcess::stopped(const char* while_doing) {
  int status = 0;
  rusage usage{};
  pid_t pid = pid_;
  ::close(request_fd_);
  ::close(reply_fd_);
  request_fd_ = reply_fd_ = pid_ = -1;
  if (::wait4(pid, &status, 0, &usage) != pid)
    throw ImplementationStopped(Kind::Crash, plugin_ + " vanished while " + while_doing);
  std::size_t peak = static_cast<std::size_t>(usage.ru_maxrss) * 1024;
  std::string limit_mib = std::to_string(limits_.memory_bytes >> 20) + " MiB";
  if (WIFEXITED(status))
    throw ImplementationStopped(Kind::Exit, plugin_ + " called exit(" +
                                                std::to_string(WEXITSTATUS(status)) + ") while " +
                                                while_doing);
  int sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
  // A plug-in that exhausts its address space usually dies touching the
  // NULL its malloc returned: tell that apart by how much it had resident.
  if (peak * 2 >= limits_.memory_bytes)
    throw ImplementationStopped(Kind::OutOfMemory,
                                plugin_ + " died (" + signal_name(sig) + ") at its memory limit of " +
                                    limit_mib + " (peak " + std::to_string(peak >> 20) +
                                    " MiB resident) while " + while_doing);
  throw ImplementationStopped(Kind::Crash,
                              plugin_ + " was killed by " + signal_name(sig) + " while " + while_doing);
}

void WorkerProcess::kill_and_reap() {
  if (request_fd_ >= 0) ::close(request_fd_);
  if (reply_fd_ >= 0) ::close(reply_fd_);
  request_fd_ = reply_fd_ = -1;
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  pid_ = -1;
}

}  // namespace cow::plugin
