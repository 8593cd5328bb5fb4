#include "impl/linux/linux_cow.h"

#include <sched.h>
#include <signal.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "impl/linux/channel.h"
#include "impl/linux/pagemap.h"
#include "impl/linux/server.h"
#include "impl/linux/write_fault.h"

namespace cow::linux_host {

namespace {

using Kind = ImplementationStopped::Kind;

std::string_view request_name(Request r) {
  switch (r) {
    case Request::Write: return "write";
    case Request::Read: return "read";
    case Request::Fork: return "fork";
    case Request::Exit: return "exit";
    case Request::Pin: return "pin";
  }
  return "?";
}

std::string_view reply_name(Reply r) {
  switch (r) {
    case Reply::Hello: return "hello";
    case Reply::Ready: return "ready";
    case Reply::Forked: return "forked";
    case Reply::Wrote: return "wrote";
    case Reply::Read: return "read";
    case Reply::Pinned: return "pinned";
  }
  return "?";
}

// nullopt: it could not be waited for (an oracle that ignores SIGCHLD has
// its children reaped by the kernel).
std::string exit_status_text(std::optional<int> wait_status) {
  if (!wait_status) return "exited (its status was reaped by the kernel)";
  int status = *wait_status;
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), ::strsignal(WTERMSIG(status)));
  return fmt::format("stopped with wait status {:#x}", status);
}

// Closes a descriptor on every way out of a scope, unless released.
class OwnedFd {
 public:
  explicit OwnedFd(int fd) : fd_(fd) {}
  ~OwnedFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  OwnedFd(const OwnedFd&) = delete;
  OwnedFd& operator=(const OwnedFd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

// A freshly faulted page sits in a per-CPU batch on its way to the LRU list,
// holding a reference. The reuse test of a write fault drains only the
// local CPU's batch (wp_can_reuse_anon_folio), so a page faulted on one CPU
// and written after a fork on another can be copied although its writer is
// its only user. Keeping every server on one CPU removes that noise, which
// the REUSE comparison otherwise flags in about every thousand random runs
// on a busy host (docs/linux.md, "Noise").
int pick_cpu(bool pin) {
  if (!pin) return -1;
  int cpu = ::sched_getcpu();
  return cpu >= 0 ? cpu : -1;
}

}  // namespace

LinuxCow::LinuxCow(const Config& config, const LinuxOptions& options)
    : config_(config), options_(options), oracle_(::getpid()) {
  start_first(config);
}

LinuxCow::~LinuxCow() { kill_all(); }

void LinuxCow::start_first(const Config& config) {
  int ends[2];
  if (!channel_pair(ends))
    throw std::runtime_error(fmt::format("linux: socketpair: {}", std::strerror(errno)));
  ServerSetup setup{oracle_, config.pages, config.words, options_.read_pfns,
                    pick_cpu(options_.pin_cpu)};
  pid_t host = server_spawn_first(setup, ends[1]);
  int error = errno;
  ::close(ends[1]);
  if (host < 0) {
    ::close(ends[0]);
    throw std::runtime_error(fmt::format("linux: fork: {}", std::strerror(error)));
  }
  // The server does the same; whichever runs first, the group exists.
  ::setpgid(host, host);
  group_ = host;
  servers_[kInitPid] = Server{host, ends[0]};
  ReplyMsg hello = receive(kInitPid, Reply::Hello, "its hello");
  if (hello.error != 0)
    stop(Kind::Crash, fmt::format("pid 1 could not map {} pages: {}", config.pages,
                                  std::strerror(hello.error)));
  reads_pfns_ = options_.read_pfns && pagemap_pfn(hello.entry_after) != 0;
}

std::string LinuxCow::describe() const {
  utsname u{};
  std::string kernel = ::uname(&u) == 0 ? u.release : "?";
  if (reads_pfns_)
    return fmt::format("linux {}: real processes; write faults told apart by PFN from "
                       "/proc/self/pagemap",
                       kernel);
  return fmt::format("linux {}: real processes, outcomes only: {}, so every write reports no "
                     "fault and how faults are served is not checked",
                     kernel,
                     options_.read_pfns ? "/proc/self/pagemap shows no PFNs (they need "
                                          "CAP_SYS_ADMIN)"
                                        : "PFN reading is switched off");
}

std::optional<pid_t> LinuxCow::host_pid(Pid pid) const {
  auto it = servers_.find(pid);
  if (it == servers_.end()) return std::nullopt;
  return it->second.host;
}

Outcome LinuxCow::apply(const Op& op) {
  if (!stopped_.empty())
    throw ImplementationStopped(Kind::Crash, "linux: already stopped: " + stopped_);
  if (!op_in(supported_ops(), op.kind))
    throw UnsupportedOp(fmt::format(
        "linux: '{}' cannot be run on the host: the linux implementation does {} only ({} is "
        "not driven through real processes yet; see docs/linux.md)",
        to_string(op), op_set_names(supported_ops()), op_kind_name(op.kind)));
  if (!servers_.count(op.pid)) return Outcome::error(Status::NoSuchProcess);
  switch (op.kind) {
    case OpKind::Fork: return do_fork(op.pid);
    case OpKind::Write: return do_write(op.pid, op);
    case OpKind::Read: return do_read(op.pid, op);
    case OpKind::Exit: return do_exit(op.pid);
    default: break;
  }
  return Outcome::error(Status::NoSuchProcess);
}

Outcome LinuxCow::do_fork(Pid parent) {
  if (servers_.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  int ends[2];
  if (!channel_pair(ends))
    stop(Kind::Crash, fmt::format("socketpair for a child of pid {}: {}", parent,
                                  std::strerror(errno)));
  OwnedFd ours(ends[0]);
  {
    // Our copy of the child's end goes once sent: the child must hold the
    // only one, so that its death closes ours.
    OwnedFd theirs(ends[1]);
    RequestMsg request;
    request.kind = Request::Fork;
    send(parent, request, theirs.get());
  }
  ReplyMsg forked = receive(parent, Reply::Forked, "the answer to fork");
  if (forked.error != 0)
    stop(Kind::Crash, fmt::format("fork() in pid {} failed on the host: {}", parent,
                                  std::strerror(forked.error)));
  Pid child = next_pid_;
  servers_[child] = Server{forked.host_pid, ours.release()};
  ReplyMsg ready = receive(child, Reply::Ready, "the new child's first message");
  if (ready.host_pid != forked.host_pid)
    stop(Kind::Crash, fmt::format("pid {} says it is host pid {}, its parent said {}", child,
                                  ready.host_pid, forked.host_pid));
  ++next_pid_;  // only a fork that succeeded takes a pid
  return Outcome::forked(child);
}

Outcome LinuxCow::do_write(Pid pid, const Op& op) {
  if (op.vpn >= config_.pages || op.word >= config_.words)
    return Outcome::error(Status::BadAddress);
  RequestMsg request{Request::Write, op.vpn, op.word, op.value};
  ReplyMsg wrote = call(pid, request, Reply::Wrote);
  WriteReport report{wrote.maybe_write_protected != 0, wrote.entry_before, wrote.entry_after};
  return Outcome::wrote(classify_write(report, reads_pfns_));
}

Outcome LinuxCow::do_read(Pid pid, const Op& op) {
  if (op.vpn >= config_.pages || op.word >= config_.words)
    return Outcome::error(Status::BadAddress);
  RequestMsg request{Request::Read, op.vpn, op.word, 0};
  return Outcome::read(call(pid, request, Reply::Read).value);
}

// Done only when the process is gone: its socket closes after the kernel
// has torn down its address space (do_exit runs exit_mm before
// exit_files), and reaping it proves it. So the next op sees every page it
// mapped released, as the model does at once.
Outcome LinuxCow::do_exit(Pid pid) {
  RequestMsg request;
  request.kind = Request::Exit;
  send(pid, request, -1);
  Server& server = servers_.at(pid);
  ReplyMsg unexpected;
  int timeout = static_cast<int>(options_.reply_timeout.count());
  switch (channel_receive(server.fd, &unexpected, sizeof unexpected, timeout)) {
    case Received::Closed: break;
    case Received::TimedOut:
      stop(Kind::Hang, fmt::format("pid {} (host pid {}) did not exit within {} ms", pid,
                                   server.host, timeout));
    case Received::Message:
    case Received::Failed:
      stop(Kind::Crash, fmt::format("pid {} (host pid {}) answered exit instead of exiting", pid,
                                    server.host));
  }
  std::optional<int> status = reap(server);
  ::close(server.fd);
  servers_.erase(pid);
  // With no member left the group's id may be reused by strangers: forget it.
  if (servers_.empty()) group_ = -1;
  if (status && !(WIFEXITED(*status) && WEXITSTATUS(*status) == 0))
    stop(Kind::Crash,
         fmt::format("pid {} {} when asked to exit", pid, exit_status_text(status)));
  return Outcome::ok();
}

int LinuxCow::pin(Pid pid, Vpn vpn) {
  if (!stopped_.empty())
    throw ImplementationStopped(Kind::Crash, "linux: already stopped: " + stopped_);
  if (!servers_.count(pid) || vpn >= config_.pages)
    throw std::invalid_argument(fmt::format("linux: cannot pin page {} of pid {}", vpn, pid));
  RequestMsg request{Request::Pin, vpn, 0, 0};
  send(pid, request, -1);
  int pipe_fd = -1;
  ReplyMsg pinned = receive(pid, Reply::Pinned, "pin", &pipe_fd);
  if (pinned.error != 0 || pipe_fd < 0) {
    if (pipe_fd >= 0) ::close(pipe_fd);
    throw std::runtime_error(fmt::format("linux: vmsplice of page {} in pid {}: {}", vpn, pid,
                                         std::strerror(pinned.error)));
  }
  pins_[next_pin_] = pipe_fd;
  return next_pin_++;
}

Value LinuxCow::unpin(int pin, std::uint32_t word) {
  auto it = pins_.find(pin);
  if (it == pins_.end() || word >= config_.words)
    throw std::invalid_argument(fmt::format("linux: no pin {} with word {}", pin, word));
  std::uint32_t page[kPageBytes / sizeof(std::uint32_t)] = {};
  ssize_t got = ::read(it->second, page, sizeof page);
  ::close(it->second);
  pins_.erase(it);
  if (got != static_cast<ssize_t>(sizeof page))
    throw std::runtime_error(fmt::format("linux: reading pin {}: {}", pin,
                                         got < 0 ? std::strerror(errno) : "short read"));
  return page[word];
}

ReplyMsg LinuxCow::call(Pid pid, const RequestMsg& request, Reply want, int pass_fd) {
  send(pid, request, pass_fd);
  return receive(pid, want, request_name(request.kind).data());
}

void LinuxCow::send(Pid pid, const RequestMsg& request, int pass_fd) {
  Server& server = servers_.at(pid);
  if (channel_send(server.fd, &request, sizeof request, pass_fd)) return;
  int error = errno;
  if (error == EPIPE || error == ECONNRESET)
    stop(Kind::Crash, fmt::format("pid {} (host pid {}) died before {}: {}", pid, server.host,
                                  request_name(request.kind), exit_status_text(reap(server))));
  stop(Kind::Crash, fmt::format("sending {} to pid {}: {}", request_name(request.kind), pid,
                                std::strerror(error)));
}

ReplyMsg LinuxCow::receive(Pid pid, Reply want, const char* waiting_for, int* passed_fd) {
  Server& server = servers_.at(pid);
  ReplyMsg reply;
  int timeout = static_cast<int>(options_.reply_timeout.count());
  switch (channel_receive(server.fd, &reply, sizeof reply, timeout, passed_fd)) {
    case Received::Message:
      if (reply.kind != want) {
        if (passed_fd && *passed_fd >= 0) ::close(*passed_fd);
        stop(Kind::Crash, fmt::format("pid {} sent '{}' while we waited for {}", pid,
                                      reply_name(reply.kind), waiting_for));
      }
      return reply;
    case Received::TimedOut:
      stop(Kind::Hang, fmt::format("pid {} (host pid {}) did not answer {} within {} ms", pid,
                                   server.host, waiting_for, timeout));
    case Received::Closed:
      stop(Kind::Crash, fmt::format("pid {} (host pid {}) died while we waited for {}: {}", pid,
                                    server.host, waiting_for, exit_status_text(reap(server))));
    case Received::Failed:
      break;
  }
  stop(Kind::Crash, fmt::format("pid {} sent a malformed answer while we waited for {}", pid,
                                waiting_for));
}

std::optional<int> LinuxCow::reap(Server& server) {
  if (server.host <= 0) return std::nullopt;
  // Its socket is closed, so it is exiting; give it the op timeout to finish
  // (a process in uninterruptible sleep can take a moment), then force it.
  auto deadline = std::chrono::steady_clock::now() + options_.reply_timeout;
  int status = 0;
  pid_t got;
  while ((got = ::waitpid(server.host, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  if (got == 0) {
    ::kill(server.host, SIGKILL);
    while ((got = ::waitpid(server.host, &status, 0)) < 0 && errno == EINTR) {
    }
  }
  server.host = -1;
  if (got < 0) return std::nullopt;
  return status;
}

void LinuxCow::stop(Kind kind, const std::string& what) {
  stopped_ = what;
  kill_all();
  throw ImplementationStopped(kind, "linux: " + what);
}

// Every server is our own child (CLONE_PARENT, see server.cpp) in one
// process group, and none is reaped before it is forgotten: the group cannot
// have been reused, and waiting on it until none is left leaves no zombie,
// even of a child whose fork never reached our table.
void LinuxCow::kill_all() noexcept {
  for (auto& [id, fd] : pins_) ::close(fd);
  pins_.clear();
  for (auto& [pid, server] : servers_)
    if (server.fd >= 0) ::close(server.fd);
  servers_.clear();
  if (group_ <= 0) return;
  ::kill(-group_, SIGKILL);
  for (;;) {
    pid_t got = ::waitpid(-group_, nullptr, 0);
    if (got < 0 && errno != EINTR) break;  // ECHILD: none left
  }
  group_ = -1;
}

}  // namespace cow::linux_host
