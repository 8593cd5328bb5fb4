// The oracle's side of the conversation with its servers: one request and
// its answer over a server's socket, and what happens when a server stops
// answering (reaped, reported, every server killed).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "impl/linux/channel.h"
#include "impl/linux/linux_cow.h"
#include "impl/linux/message_names.h"

namespace cow::linux_host {

namespace {

using Kind = ImplementationStopped::Kind;

}  // namespace

std::string_view request_name(Request r) {
  switch (r) {
    case Request::Write: return "write";
    case Request::Read: return "read";
    case Request::Copyout: return "copyout";
    case Request::Pin: return "pin";
    case Request::Reference: return "reference";
    case Request::Fork: return "fork";
    case Request::Vfork: return "vfork";
    case Request::Exec: return "exec";
    case Request::Map: return "mmap";
    case Request::Unmap: return "munmap";
    case Request::Exit: return "exit";
    case Request::Thread: return "thread";
    case Request::Madvise: return "madvise";
    case Request::Memwrite: return "memwrite";
  }
  return "?";
}

std::string_view reply_name(Reply r) {
  switch (r) {
    case Reply::Hello: return "hello";
    case Reply::Ready: return "ready";
    case Reply::Forked: return "forked";
    case Reply::Vforked: return "vforked";
    case Reply::Touched: return "touched";
    case Reply::Mapped: return "mapped";
    case Reply::Threaded: return "threaded";
  }
  return "?";
}

std::string exit_status_text(std::optional<int> wait_status) {
  if (!wait_status) return "exited (its status was reaped by the kernel)";
  int status = *wait_status;
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), ::strsignal(WTERMSIG(status)));
  return fmt::format("stopped with wait status {:#x}", status);
}

ReplyMsg LinuxCow::call(Pid pid, const RequestMsg& request, Reply want, int pass_fd) {
  send(pid, request, pass_fd);
  return receive(pid, want, request_name(request.kind).data());
}

void LinuxCow::send(Pid pid, const RequestMsg& request, int pass_fd) {
  ServerRef server = servers_.at(pid);
  if (!send_to(pid, *server, request, pass_fd))
    stop(Kind::Crash, fmt::format("pid {} (task {}) was ended before {}", pid, server->host,
                                  request_name(request.kind)));
}

ReplyMsg LinuxCow::receive(Pid pid, Reply want, const char* waiting_for, int* passed_fd) {
  ServerRef server = servers_.at(pid);
  std::optional<ReplyMsg> reply = receive_from(pid, *server, want, waiting_for, passed_fd);
  if (!reply)
    stop(Kind::Crash, fmt::format("pid {} (task {}) was ended while we waited for {}", pid,
                                  server->host, waiting_for));
  return *reply;
}

// A task an exec ended (Server::ended) is known gone only once the exec is
// done, so a lane that finds its task gone asks under the oracle's state.
bool LinuxCow::send_to(Pid pid, Server& server, const RequestMsg& request, int pass_fd) {
  if (channel_send(server.fd, &request, sizeof request, pass_fd)) return true;
  int error = errno;
  std::lock_guard lock(state_);
  if (server.ended) return false;
  if (error == EPIPE || error == ECONNRESET)
    stop(Kind::Crash, fmt::format("pid {} (host pid {}) died before {}: {}", pid, server.host,
                                  request_name(request.kind), exit_status_text(reap(server))));
  stop(Kind::Crash, fmt::format("sending {} to pid {}: {}", request_name(request.kind), pid,
                                std::strerror(error)));
}

std::optional<ReplyMsg> LinuxCow::receive_from(Pid pid, Server& server, Reply want,
                                               const char* waiting_for, int* passed_fd) {
  ReplyMsg reply;
  int timeout = static_cast<int>(options_.reply_timeout.count());
  Received got = channel_receive(server.fd, &reply, sizeof reply, timeout, passed_fd);
  std::lock_guard lock(state_);
  switch (got) {
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
      if (server.ended) return std::nullopt;
      stop(Kind::Crash, fmt::format("pid {} (host pid {}) died while we waited for {}: {}", pid,
                                    server.host, waiting_for, exit_status_text(reap(server))));
    case Received::Failed: break;
  }
  stop(Kind::Crash,
       fmt::format("pid {} sent a malformed answer while we waited for {}", pid, waiting_for));
}

// A process is waited for by its id (a thread cannot be).
std::optional<int> LinuxCow::reap(Server& server) {
  if (server.host <= 0 || server.process <= 0) return std::nullopt;
  // Its socket is closed, so it is exiting; give it the op timeout to finish
  // (a process in uninterruptible sleep can take a moment), then force it.
  auto deadline = std::chrono::steady_clock::now() + options_.reply_timeout;
  int status = 0;
  pid_t got;
  while ((got = ::waitpid(server.process, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  if (got == 0) {
    ::kill(server.process, SIGKILL);
    while ((got = ::waitpid(server.process, &status, 0)) < 0 && errno == EINTR) {
    }
  }
  server.host = -1;
  if (got < 0) return std::nullopt;
  return status;
}

void LinuxCow::stop(Kind kind, const std::string& what) {
  std::lock_guard lock(state_);
  // The first failure is the one to report: killing everything makes the
  // other lanes' tasks die too.
  if (stopped_.empty()) stopped_ = what;
  kill_all();
  throw ImplementationStopped(kind, "linux: " + what);
}

// Every server is our own child (CLONE_PARENT, see server.cpp) in one
// process group, and none is reaped before it is forgotten: the group cannot
// have been reused, and waiting on it until none is left leaves no zombie,
// even of a child whose fork never reached our table. A vfork parent asleep
// in the kernel dies of SIGKILL like any other (its sleep is killable).
void LinuxCow::kill_all() noexcept {
  // Closing the instance drops every pin in it (in a kernel worker, soon).
  for (auto& [id, pin] : pins_)
    if (pin.pipe >= 0) ::close(pin.pipe);
  pins_.clear();
  ring_.reset();
  for (auto& [id, fd] : references_) ::close(fd);
  references_.clear();
  // Their sockets close with the last reference: a lane may still hold one.
  servers_.clear();
  for (int* fd : {&file_, &exe_})
    if (*fd >= 0) ::close(std::exchange(*fd, -1));
  if (group_ <= 0) return;
  ::kill(-group_, SIGKILL);
  for (;;) {
    pid_t got = ::waitpid(-group_, nullptr, 0);
    if (got < 0 && errno != EINTR) break;  // ECHILD: none left
  }
  group_ = -1;
}

}  // namespace cow::linux_host
