#include "impl/linux/server.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <climits>

#include "impl/linux/channel.h"
#include "impl/linux/pagemap.h"
#include "impl/linux/server_wire.h"

namespace cow::linux_host {

namespace {

// Fixed descriptor numbers: every server has the same two, whatever the
// oracle had open when the first one was forked.
constexpr int kChannelFd = 3;
constexpr int kPagemapFd = 4;
constexpr std::uint32_t kWordsPerPage = kPageBytes / sizeof(std::uint32_t);

// Exit codes the oracle reports when a server dies on its own.
constexpr int kExitSetupFailed = 70;
constexpr int kExitBadRequest = 71;
constexpr int kExitOracleGone = 72;

struct ServerState {
  ServerSetup setup;
  volatile std::uint32_t* memory = nullptr;  // the pages under test
  // Per page: no store since this process's last fork (or birth by fork),
  // so the PTE is write-protected and the next store faults. Kept apart from
  // `memory`, which must hold nothing but the pages under test.
  std::uint8_t* maybe_write_protected = nullptr;
  int pagemap = -1;
};

void reply(const ReplyMsg& r) {
  if (!channel_send(kChannelFd, &r, sizeof r)) ::_exit(kExitOracleGone);
}

// Moves `fd` to the fixed number `target` (closing what was there).
void move_fd(int fd, int target) {
  if (fd == target) return;
  ::dup3(fd, target, O_CLOEXEC);
  ::close(fd);
}

// A pagemap file describes the address space of whoever opened it, so a
// forked child must open its own rather than use its parent's.
void open_pagemap(ServerState& s) {
  ::close(kPagemapFd);
  s.pagemap = -1;
  if (!s.setup.read_pfns) return;
  int fd = ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;  // outcomes only: the oracle sees PFN 0 in the Hello
  move_fd(fd, kPagemapFd);
  s.pagemap = kPagemapFd;
}

// Servers never outlive the oracle, whatever happens to it: the kernel
// kills each when the oracle dies (strictly, when the oracle's thread that
// made the first server exits). The check after prctl closes the race with
// an oracle that died before it.
void die_with_oracle(const ServerState& s) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != s.setup.oracle) ::_exit(kExitOracleGone);
}

// fork() write-protects every private page on both sides.
void mark_all_write_protected(ServerState& s) {
  for (std::uint32_t vpn = 0; vpn < s.setup.pages; ++vpn) s.maybe_write_protected[vpn] = 1;
}

// The mapping of Config::pages private anonymous pages, each made present
// and exclusive by a store, as the model's first process starts.
bool map_pages(ServerState& s) {
  std::size_t bytes = std::size_t{s.setup.pages} * kPageBytes;
  void* memory = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* marks =
      ::mmap(nullptr, s.setup.pages, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED || marks == MAP_FAILED) return false;
  // One 4 KiB folio per page: a huge or multi-size THP folio would share
  // one PFN range among pages and take other fault paths; KSM would merge
  // the zero-filled pages. Both are advice a host may not know: ignore errors.
  ::madvise(memory, bytes, MADV_NOHUGEPAGE);
  ::madvise(memory, bytes, MADV_UNMERGEABLE);
  s.memory = static_cast<volatile std::uint32_t*>(memory);
  s.maybe_write_protected = static_cast<std::uint8_t*>(marks);
  for (std::uint32_t vpn = 0; vpn < s.setup.pages; ++vpn)
    for (std::uint32_t w = 0; w < s.setup.words; ++w) s.memory[vpn * kWordsPerPage + w] = 0;
  return true;
}

volatile std::uint32_t* cell(const ServerState& s, const RequestMsg& rq) {
  if (rq.vpn >= s.setup.pages || rq.word >= s.setup.words) ::_exit(kExitBadRequest);
  return &s.memory[rq.vpn * kWordsPerPage + rq.word];
}

ReplyMsg serve_write(ServerState& s, const RequestMsg& rq) {
  volatile std::uint32_t* word = cell(s, rq);
  ReplyMsg r;
  r.kind = Reply::Wrote;
  r.maybe_write_protected = s.maybe_write_protected[rq.vpn];
  r.entry_before = pagemap_read(s.pagemap, word);
  *word = rq.value;
  r.entry_after = pagemap_read(s.pagemap, word);
  s.maybe_write_protected[rq.vpn] = 0;
  return r;
}

// A read-only pin the way Linux's selftests/mm/cow.c takes one: vmsplice()
// puts a reference to the page itself in a pipe (get_user_pages, no copy).
// The pipe's read end goes to the oracle and ours close, so the pin outlives
// this process, like a device's or another process's reference would.
void serve_pin(const ServerState& s, const RequestMsg& rq) {
  ReplyMsg r;
  r.kind = Reply::Pinned;
  RequestMsg page = rq;
  page.word = 0;
  iovec iov{const_cast<std::uint32_t*>(cell(s, page)), kPageBytes};
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    r.error = errno;
    reply(r);
    return;
  }
  ssize_t spliced = ::vmsplice(pipe_fds[1], &iov, 1, 0);
  if (spliced != static_cast<ssize_t>(kPageBytes)) {
    r.error = spliced < 0 ? errno : EIO;
    ::close(pipe_fds[0]);
    pipe_fds[0] = -1;
  }
  ::close(pipe_fds[1]);
  if (!channel_send(kChannelFd, &r, sizeof r, pipe_fds[0])) ::_exit(kExitOracleGone);
  if (pipe_fds[0] >= 0) ::close(pipe_fds[0]);
}

ReplyMsg serve_read(const ServerState& s, const RequestMsg& rq) {
  ReplyMsg r;
  r.kind = Reply::Read;
  r.value = *cell(s, rq);
  return r;
}

// A real fork, with one twist: CLONE_PARENT makes the child a child of the
// oracle (this server's own parent), not of this server. So every server is
// the oracle's child, and the oracle alone waits for each by pid: no zombie
// waits on a server that never calls wait(), no process-wide subreaper, no
// intermediate process of a double fork holding a transient reference to
// every page. The kernel copies the address space exactly as for fork().
// The raw syscall: glibc's fork() has no CLONE_PARENT. Its argument order
// for flags and stack is the same on every architecture but s390.
long server_fork() { return ::syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0); }

// Returns in the child too, which then serves `child_channel`.
void serve_fork(ServerState& s, int child_channel) {
  ReplyMsg r;
  r.kind = Reply::Forked;
  if (child_channel < 0) {
    r.error = EBADMSG;
    reply(r);
    return;
  }
  long pid = server_fork();
  if (pid == 0) {
    move_fd(child_channel, kChannelFd);  // replaces the parent's socket
    die_with_oracle(s);
    open_pagemap(s);
    mark_all_write_protected(s);
    ReplyMsg ready;
    ready.kind = Reply::Ready;
    ready.host_pid = ::getpid();
    reply(ready);
    return;
  }
  int error = errno;
  ::close(child_channel);
  if (pid < 0) {
    r.error = error;
  } else {
    mark_all_write_protected(s);
    r.host_pid = static_cast<pid_t>(pid);
  }
  reply(r);
}

[[noreturn]] void serve(ServerState& s) {
  for (;;) {
    RequestMsg rq;
    int passed = -1;
    // No deadline: the oracle may think between ops as long as it likes.
    if (channel_receive(kChannelFd, &rq, sizeof rq, -1, &passed) != Received::Message)
      ::_exit(kExitOracleGone);
    if (rq.kind != Request::Fork && passed >= 0) ::close(passed);
    switch (rq.kind) {
      case Request::Write: reply(serve_write(s, rq)); break;
      case Request::Read: reply(serve_read(s, rq)); break;
      case Request::Fork: serve_fork(s, passed); break;
      case Request::Exit: ::_exit(0);
      case Request::Pin: serve_pin(s, rq); break;
      default: ::_exit(kExitBadRequest);
    }
  }
}

// Only the socket survives into the server: another instance's sockets held
// here would keep that instance from seeing its own servers die.
void keep_only_channel(int channel) {
  move_fd(channel, kChannelFd);
  ::close_range(kChannelFd + 1, UINT_MAX, 0);
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    // stdin and stdout may be a pipe someone reads to its end; stderr stays
    // for the sanitizers.
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::close(null);
  }
}

[[noreturn]] void run_first_server(const ServerSetup& setup, int channel) {
  keep_only_channel(channel);
  ServerState s;
  s.setup = setup;
  ::setpgid(0, 0);  // the oracle's kill_all signals and waits for the group
  die_with_oracle(s);
  if (setup.cpu >= 0) {
    cpu_set_t cpus;
    CPU_ZERO(&cpus);
    CPU_SET(setup.cpu, &cpus);
    ::sched_setaffinity(0, sizeof cpus, &cpus);  // a preference: failing is harmless
  }
  ReplyMsg hello;
  hello.kind = Reply::Hello;
  if (!map_pages(s)) {
    hello.error = errno;
    reply(hello);
    ::_exit(kExitSetupFailed);
  }
  open_pagemap(s);
  hello.host_pid = ::getpid();
  hello.entry_after = pagemap_read(s.pagemap, s.memory);
  reply(hello);
  serve(s);
}

}  // namespace

pid_t server_spawn_first(const ServerSetup& setup, int channel) {
  pid_t pid = ::fork();
  if (pid == 0) run_first_server(setup, channel);
  return pid;
}

}  // namespace cow::linux_host
