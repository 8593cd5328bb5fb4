#include "impl/linux/server.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/futex.h>

#include <atomic>
#include <cerrno>
#include <climits>

#include "impl/linux/channel.h"
#include "impl/linux/fault_probe.h"
#include "impl/linux/raw_syscall.h"
#include "impl/linux/server_state.h"
#include "impl/linux/vfork_stack.h"

namespace cow::linux_host {

namespace {

// Moves `fd` to the fixed number `target` (closing what was there).
void move_fd(int fd, int target) {
  if (fd == target) return;
  ::dup3(fd, target, O_CLOEXEC);
  ::close(fd);
}

// A pagemap file describes the address space of whoever opened it, so a
// forked child must open its own rather than use its parent's. A vfork
// child shares its parent's space, and so its pagemap file too.
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

// A fork leaves every page of the server's own memory shared with the other
// side, and a vfork child's stack is untouched: the first store to each
// would be a fault of its own, counted in the next access's fault count
// (ReplyMsg::faults). Writing the stack a probe runs on and the probe's
// state once, now, keeps that count to the page under test.
[[gnu::noinline]] void settle_own_memory() {
  volatile char stack[16 * 1024];
  for (std::size_t i = 0; i < sizeof stack; i += 512) stack[i] = 0;
  settle_fault_probe();
}

// A new child's first words, on its own socket.
void say_ready() {
  ReplyMsg ready;
  ready.kind = Reply::Ready;
  ready.host_pid = ::getpid();
  reply(ready);
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

void keep_own_stack(const ServerState& s);

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
    // First, before any descriptor is closed: the socket may have arrived
    // at a number that is free here but fixed for something else.
    move_fd(child_channel, kChannelFd);  // replaces the parent's socket
    die_with_oracle(s);
    keep_own_stack(s);
    forget_other_probes();
    open_pagemap(s);
    mark_shared_by_fork(s);
    settle_own_memory();
    say_ready();
    return;
  }
  int error = errno;
  ::close(child_channel);
  if (pid < 0) {
    r.error = error;
  } else {
    r.copied = mark_shared_by_fork(s);
    settle_own_memory();
    r.host_pid = static_cast<pid_t>(pid);
  }
  reply(r);
}

// A free stack of the address space, taken; -1 when none is (more live
// tasks than setup.procs: the oracle never asks for that).
int take_stack(const ServerState& s) {
  for (std::uint32_t slot = 0; slot < s.setup.procs; ++slot) {
    std::uint32_t free = 0;
    if (__atomic_compare_exchange_n(&s.stack_taken[slot], &free, 1, false, __ATOMIC_SEQ_CST,
                                    __ATOMIC_SEQ_CST))
      return static_cast<int>(slot);
  }
  return -1;
}

void give_back_stack(const ServerState& s, int slot) {
  __atomic_store_n(&s.stack_taken[slot], 0, __ATOMIC_SEQ_CST);
}

// A fork's child has one task, the caller, whatever tasks its parent had:
// every stack but the one it runs on is free in its copy of the space.
void keep_own_stack(const ServerState& s) {
  for (std::uint32_t slot = 0; slot < s.setup.procs; ++slot)
    __atomic_store_n(&s.stack_taken[slot], static_cast<int>(slot) == s.stack_slot ? 1 : 0,
                     __ATOMIC_SEQ_CST);
}

// What a new task (vfork child or thread) copies from its creator before
// the creator may go on: the creator's state is on the creator's stack.
struct TaskStart {
  const ServerState* creator;
  int channel;
  int stack_slot;
  VforkStack stack;
  std::atomic<std::uint32_t> copied{0};  // a thread's creator waits for it (futex)
};

// A new task's first steps: its state is its creator's, on its own stack,
// serving its own socket in its own copy of the descriptor table (neither
// vfork nor thread shares the table: each task's socket is its alone, so
// it closes when that task exits).
ServerState begin_task(TaskStart* start) {
  ServerState s = *start->creator;
  s.stack_slot = start->stack_slot;
  move_fd(start->channel, kChannelFd);
  return s;
}

// The vfork child: it runs in its parent's address space, on a stack of its
// own (the parent's is live, frozen in clone()), with a copy of the parent's
// descriptor table and signal handlers.
int vfork_child(void* arg) {
  auto* start = static_cast<TaskStart*>(arg);
  vfork_stack_arrive(start->stack);
  ServerState s = begin_task(start);
  die_with_oracle(s);
  settle_own_memory();
  say_ready();
  serve(s);
}

// A thread: a task of its creator's process (same pid, same space, same
// signal handlers), but with a descriptor table of its own.
int thread_main(void* arg) {
  auto* start = static_cast<TaskStart*>(arg);
  ServerState s = begin_task(start);
  start->copied.store(1);
  raw_syscall(SYS_futex, as_word(&start->copied), FUTEX_WAKE_PRIVATE, 1);
  die_with_oracle(s);
  settle_own_memory();
  say_ready();
  serve(s);
}

// clone(CLONE_VM | CLONE_THREAD | CLONE_SIGHAND), as pthread_create makes
// a thread, but without CLONE_FILES (above) and without a TLS of its own:
// like a vfork child, the thread shares its creator's, errno with it, so
// the calls whose error decides an answer leave errno alone
// (impl/linux/raw_syscall.h). The kernel frees its stack slot when it
// exits or its process execs (CLONE_CHILD_CLEARTID).
void serve_thread(ServerState& s, int child_channel) {
  ReplyMsg r;
  r.kind = Reply::Threaded;
  int slot = child_channel < 0 ? -1 : take_stack(s);
  if (slot < 0) {
    if (child_channel >= 0) ::close(child_channel);
    r.error = child_channel < 0 ? EBADMSG : EAGAIN;
    reply(r);
    return;
  }
  char* bottom = s.stacks + std::size_t(slot) * kStackBytes;
  thread_stack_clean(bottom, kStackBytes);
  TaskStart start{&s, child_channel, slot, {}};
  int tid = ::clone(thread_main, bottom + kStackBytes,
                    CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | CLONE_SYSVSEM | CLONE_CHILD_CLEARTID,
                    &start, nullptr, nullptr, &s.stack_taken[slot]);
  int error = errno;
  ::close(child_channel);
  if (tid < 0) {
    give_back_stack(s, slot);
    r.error = error;
    reply(r);
    return;
  }
  while (start.copied.load() == 0)
    raw_syscall(SYS_futex, as_word(&start.copied), FUTEX_WAIT_PRIVATE, 0);
  r.host_pid = tid;
  reply(r);
}

// vfork as the kernel does it: clone(CLONE_VM | CLONE_VFORK), so the child
// borrows this address space and this process sleeps in the kernel until
// the child execs or exits (wait_for_vfork_done; the sleep is killable, so
// the oracle can still end everything). While it sleeps the oracle answers
// `suspended` for it without asking; the Vforked reply, sent only when
// clone() returns, tells the oracle that the kernel let it go. The child
// runs on one of the stacks mapped at setup: mapping one now could land in
// a hole that munmap left among the pages under test. CLONE_PARENT as for
// fork.
void serve_vfork(ServerState& s, int child_channel) {
  ReplyMsg r;
  r.kind = Reply::Vforked;
  int slot = child_channel < 0 ? -1 : take_stack(s);
  if (slot < 0) {
    if (child_channel >= 0) ::close(child_channel);
    r.error = child_channel < 0 ? EBADMSG : EAGAIN;
    reply(r);
    return;
  }
  char* bottom = s.stacks + std::size_t(slot) * kStackBytes;
  TaskStart start{&s, child_channel, slot, {}};
  vfork_stack_leave(start.stack, bottom, kStackBytes);
  int pid = ::clone(vfork_child, bottom + kStackBytes,
                    CLONE_VM | CLONE_VFORK | CLONE_PARENT | CLONE_CHILD_CLEARTID | SIGCHLD, &start,
                    nullptr, nullptr, &s.stack_taken[slot]);
  int error = errno;
  vfork_stack_return(start.stack);
  ::close(child_channel);
  if (pid < 0) {
    give_back_stack(s, slot);
    r.error = error;
  } else {
    r.host_pid = pid;
  }
  reply(r);
}

// The requests name pages the oracle has checked; anything else is a bug on
// one side or the other, and ends the server (a CRASH the oracle reports).
void check_request(const ServerState& s, const RequestMsg& rq) {
  bool bad = rq.vpn >= s.setup.pages || rq.word >= s.setup.words;
  if (rq.kind == Request::Map || rq.kind == Request::Unmap || rq.kind == Request::Madvise)
    bad = rq.vpn >= s.setup.pages || rq.count == 0 || rq.count > s.setup.pages - rq.vpn;
  if (bad) ::_exit(kExitBadRequest);
}

// Only the oracle's descriptors survive into the server, at their fixed
// numbers: another instance's sockets held here would keep that instance
// from seeing its own servers die. Copied high first, so that no source
// is overwritten by another's target.
void keep_only(const ServerFiles& files) {
  int channel = ::fcntl(files.channel, F_DUPFD_CLOEXEC, kFirstFreeFd);
  int file = files.file >= 0 ? ::fcntl(files.file, F_DUPFD_CLOEXEC, kFirstFreeFd) : -1;
  int exe = files.exe >= 0 ? ::fcntl(files.exe, F_DUPFD_CLOEXEC, kFirstFreeFd) : -1;
  int ring = files.ring >= 0 ? ::fcntl(files.ring, F_DUPFD_CLOEXEC, kFirstFreeFd) : -1;
  int clock = files.clock >= 0 ? ::fcntl(files.clock, F_DUPFD_CLOEXEC, kFirstFreeFd) : -1;
  ::dup3(channel, kChannelFd, O_CLOEXEC);
  if (file >= 0)
    ::dup3(file, kFileFd, O_CLOEXEC);
  else
    ::close(kFileFd);
  if (exe >= 0)
    ::dup3(exe, kExeFd, O_CLOEXEC);
  else
    ::close(kExeFd);
  if (ring >= 0)
    ::dup3(ring, kRingFd, O_CLOEXEC);
  else
    ::close(kRingFd);
  if (clock >= 0)
    ::dup3(clock, kClockFd, O_CLOEXEC);
  else
    ::close(kClockFd);
  ::close(kPagemapFd);
  ::close_range(kSetupFd, UINT_MAX, 0);
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    // stdin and stdout may be a pipe someone reads to its end; stderr stays
    // for the sanitizers.
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::close(null);
  }
}

}  // namespace

void reply(const ReplyMsg& r, int pass_fd) {
  if (!channel_send(kChannelFd, &r, sizeof r, pass_fd)) ::_exit(kExitOracleGone);
}

[[noreturn]] void serve(ServerState& s) {
  for (;;) {
    RequestMsg rq;
    int passed = -1;
    // No deadline: the oracle may think between ops as long as it likes.
    if (channel_receive(kChannelFd, &rq, sizeof rq, -1, &passed) != Received::Message)
      ::_exit(kExitOracleGone);
    bool takes_fd =
        rq.kind == Request::Fork || rq.kind == Request::Vfork || rq.kind == Request::Thread;
    if (!takes_fd && passed >= 0) {
      ::close(passed);
      passed = -1;
    }
    check_request(s, rq);
    switch (rq.kind) {
      case Request::Write:
      case Request::Read:
      case Request::Copyout:
      case Request::Pin:
      case Request::Memwrite:
      case Request::Reference: serve_access(s, rq); break;
      case Request::Fork: serve_fork(s, passed); break;
      case Request::Vfork: serve_vfork(s, passed); break;
      case Request::Thread: serve_thread(s, passed); break;
      case Request::Exec: serve_exec(s); break;
      case Request::Map:
      case Request::Unmap: reply(serve_map(s, rq)); break;
      case Request::Madvise: reply(serve_madvise(s, rq)); break;
      // This task only (exit, not exit_group): its process goes on while it
      // has other threads, and ends with the last.
      case Request::Exit: ::syscall(SYS_exit, 0); ::_exit(0);
      default: ::_exit(kExitBadRequest);
    }
  }
}

[[noreturn]] void run_server(const ServerSetup& setup, bool first) {
  ServerState s;
  s.setup = setup;
  if (first) {
    ::setpgid(0, 0);  // the oracle's kill_all signals and waits for the group
    if (setup.cpu >= 0) {
      cpu_set_t cpus;
      CPU_ZERO(&cpus);
      CPU_SET(setup.cpu, &cpus);
      ::sched_setaffinity(0, sizeof cpus, &cpus);  // a preference: failing is harmless
    }
  }
  // After exec: the group, the CPU and the parent (CLONE_PARENT) are kept,
  // and so is the death signal, but it costs nothing to say it again.
  die_with_oracle(s);
  install_fault_probe();
  open_pagemap(s);
  ReplyMsg hello;
  hello.kind = Reply::Hello;
  if (first) hello.zero_pfn = learn_zero_pfn(s.pagemap);
  if (!map_space(s, first)) {
    hello.error = errno;
    reply(hello);
    ::_exit(kExitSetupFailed);
  }
  hello.host_pid = ::getpid();
  hello.entry_after = pagemap_read(s.pagemap, s.memory);
  if (first && setup.thp) hello.thp.pmd_after = pagemap_pmd_mapped(s.pagemap, s.memory) ? 1 : 0;
  reply(hello);
  serve(s);
}

pid_t server_spawn_first(const ServerSetup& setup, const ServerFiles& files) {
  pid_t pid = ::fork();
  if (pid == 0) {
    keep_only(files);
    run_server(setup, true);
  }
  return pid;
}

}  // namespace cow::linux_host
