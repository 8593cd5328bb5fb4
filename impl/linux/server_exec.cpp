// exec for real: a server execve()s the oracle's own executable, and the
// new image, before main() ever runs, becomes a server again with a fresh
// address space: every page private anonymous and untouched, as the op
// means. A real exec rather than unmapping and mapping afresh, because only
// a real one is what the kernel does at exec: a new mm (exec_mmap), the old
// one released, and a vfork parent woken (exec_mm_release completes its
// vfork_done), which no unmapping can do.
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "impl/linux/server_state.h"

extern char** environ;

namespace cow::linux_host {

namespace {

// How the new image knows it is a server: its argv[0] is this, and the
// setup waits on kSetupFd.
constexpr char kServerArgv0[] = "cowcheck-linux-server";

void set_cloexec(int fd, bool on) { ::fcntl(fd, F_SETFD, on ? FD_CLOEXEC : 0); }

// What an exec'd image keeps: the socket, the file, the executable, the
// pins' io_uring instance and the race clock.
void keep_across_exec(bool keep) {
  constexpr int kKept[] = {kChannelFd, kFileFd, kExeFd, kRingFd, kClockFd};
  for (int fd : kKept) set_cloexec(fd, !keep);
}

// Runs in every image of a program that links impl/linux, before main():
// glibc calls each .init_array entry with (argc, argv, envp). Anything but
// an exec'd server goes on to main() as if nothing happened.
void server_exec_entry(int argc, char** argv, char**) {
  if (argc != 1 || argv == nullptr || std::strcmp(argv[0], kServerArgv0) != 0) return;
  ServerSetup setup;
  if (::read(kSetupFd, &setup, sizeof setup) != static_cast<ssize_t>(sizeof setup)) return;
  ::close(kSetupFd);
  keep_across_exec(false);
  run_server(setup, false);
}

// Not a constructor attribute, which passes no arguments.
[[gnu::used,
  gnu::section(".init_array")]] void (*server_exec_entry_at_start)(int, char**,
                                                                   char**) = server_exec_entry;

}  // namespace

// The setup travels in a pipe (it is a few bytes, so the write never
// blocks); the kept descriptors stay at their numbers.
void serve_exec(const ServerState& s) {
  ReplyMsg failed;
  failed.kind = Reply::Hello;
  int setup_pipe[2];
  if (::pipe2(setup_pipe, O_CLOEXEC) != 0) {
    failed.error = errno;
    reply(failed);
    return;
  }
  bool written =
      ::write(setup_pipe[1], &s.setup, sizeof s.setup) == static_cast<ssize_t>(sizeof s.setup);
  ::close(setup_pipe[1]);
  if (setup_pipe[0] != kSetupFd) {
    if (written && ::dup2(setup_pipe[0], kSetupFd) < 0) written = false;
    ::close(setup_pipe[0]);
  }
  if (!written) {
    failed.error = errno != 0 ? errno : EIO;
    ::close(kSetupFd);
    reply(failed);
    return;
  }
  set_cloexec(kSetupFd, false);
  keep_across_exec(true);
  char argv0[sizeof kServerArgv0];
  std::memcpy(argv0, kServerArgv0, sizeof argv0);
  char* argv[] = {argv0, nullptr};
  ::syscall(SYS_execveat, kExeFd, "", argv, environ, AT_EMPTY_PATH);
  failed.error = errno;
  keep_across_exec(false);
  ::close(kSetupFd);
  reply(failed);
}

}  // namespace cow::linux_host
