#include "impl/linux/linux_cow.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <utility>

#include <fmt/format.h>

#include "impl/linux/access_fault.h"
#include "impl/linux/backing_file.h"
#include "impl/linux/channel.h"
#include "impl/linux/host_features.h"
#include "impl/linux/message_names.h"
#include "impl/linux/pagemap.h"
#include "impl/linux/server.h"

namespace cow::linux_host {

namespace {

using Kind = ImplementationStopped::Kind;

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

// Why swapout is not run here (docs/linux.md, "swapout").
std::string swapout_left_out() {
  if (!host_has_swap())
    return "the host has no swap (/proc/swaps lists none), so nothing can be swapped out";
  return "MADV_PAGEOUT, the one way a process can evict a page, is advice that skips pages "
         "mapped by more than one process, where the model's swapout evicts every page";
}

// 2 MiB of 4 KiB pages: the PMD-mapped huge page of x86-64 and arm64.
constexpr std::uint32_t kPagesPerHuge = 512;

Request request_for(OpKind kind) {
  switch (kind) {
    case OpKind::Write: return Request::Write;
    case OpKind::Copyout: return Request::Copyout;
    case OpKind::Pin: return Request::Pin;
    case OpKind::Memwrite: return Request::Memwrite;
    default: return Request::Read;
  }
}

// The ops a lane runs at once with the others: each acts on a page or a
// mapping of one task and asks nothing of the oracle's bookkeeping but a
// look. The rest make or end tasks (or drop a pin) and run one at a time.
bool runs_at_once(OpKind kind) {
  switch (kind) {
    case OpKind::Write:
    case OpKind::Read:
    case OpKind::Copyout:
    case OpKind::Memwrite:
    case OpKind::Pin:
    case OpKind::Mmap:
    case OpKind::Munmap:
    case OpKind::Madvise: return true;
    default: return false;
  }
}

// Whether a forced write through /proc/PID/mem reaches a read-only page
// here: proc_mem.force_override (6.12+) may forbid it. Asked of a page of
// our own, as the servers will ask of theirs.
bool proc_mem_forces() {
  void* page = ::mmap(nullptr, kPageBytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return false;
  int mem = ::open("/proc/thread-self/mem", O_RDWR | O_CLOEXEC);
  std::uint32_t value = 7;
  bool forced = mem >= 0 &&
                ::pwrite(mem, &value, sizeof value,
                         static_cast<off_t>(reinterpret_cast<std::uintptr_t>(page))) ==
                    static_cast<ssize_t>(sizeof value) &&
                *static_cast<volatile std::uint32_t*>(page) == value;
  if (mem >= 0) ::close(mem);
  ::munmap(page, kPageBytes);
  return forced;
}

// What the host says of transparent huge pages, for a run that got none:
// the system's setting, and this process's own (PR_SET_THP_DISABLE, which
// the servers inherit).
std::string thp_settings() {
  std::ifstream enabled("/sys/kernel/mm/transparent_hugepage/enabled");
  std::string line;
  if (!std::getline(enabled, line)) return "the kernel has no transparent huge pages";
  std::string said = "/sys/kernel/mm/transparent_hugepage/enabled: " + line;
  std::ifstream status("/proc/self/status");
  while (std::getline(status, line))
    if (line.starts_with("THP_enabled:") && line.find('0') != std::string::npos)
      said +=
          "; this process has THP disabled (PR_SET_THP_DISABLE, /proc/self/status THP_enabled: 0)";
  return said;
}

}  // namespace

LinuxCow::LinuxCow(const Config& config, const LinuxOptions& options)
    : config_(config), options_(options), oracle_(::getpid()) {
  if (options_.thp && config.pages > kPagesPerHuge)
    throw HostUnsupported(fmt::format(
        "linux:thp: {} pages do not fit in one huge page of {} (use --pages {} or fewer)",
        config.pages, kPagesPerHuge, kPagesPerHuge));
  supported_ = kAllOps & ~op_mask(OpKind::Swapout);
  if (!proc_mem_forces()) supported_ &= ~op_mask(OpKind::Memwrite);
  ring_ = PinRing::create();
  if (ring_)
    slot_used_.assign(PinRing::kSlots, false);
  else
    supported_ &= ~(op_mask(OpKind::Pin) | op_mask(OpKind::Unpin));
  file_ = make_backing_file(config);
  if (file_ < 0)
    throw std::runtime_error(fmt::format("linux: memfd_create: {}", std::strerror(errno)));
  // An O_PATH descriptor keeps the very file this image came from, even if
  // it is rebuilt or removed while the run goes on.
  exe_ = ::open("/proc/self/exe", O_PATH | O_CLOEXEC);
  if (exe_ < 0) supported_ &= ~op_mask(OpKind::Exec);
  clock_ = race_clock_create(&clock_fd_);
  if (clock_ == nullptr)
    throw std::runtime_error(fmt::format("linux: the race clock: {}", std::strerror(errno)));
  try {
    start_first(config);
  } catch (...) {
    kill_all();
    throw;
  }
}

LinuxCow::~LinuxCow() {
  kill_all();
  if (clock_ != nullptr) ::munmap(clock_, kPageBytes);
  if (clock_fd_ >= 0) ::close(clock_fd_);
}

LinuxCow::Server::~Server() {
  if (fd >= 0) ::close(fd);
}

void LinuxCow::start_first(const Config& config) {
  int ends[2];
  if (!channel_pair(ends))
    throw std::runtime_error(fmt::format("linux: socketpair: {}", std::strerror(errno)));
  ServerSetup setup{oracle_,      config.pages,       config.words,
                    config.procs, options_.read_pfns, pick_cpu(options_.pin_cpu),
                    options_.thp};
  pid_t host = server_spawn_first(
      setup, ServerFiles{ends[1], file_, exe_, ring_ ? ring_->fd() : -1, clock_fd_});
  int error = errno;
  ::close(ends[1]);
  if (host < 0) {
    ::close(ends[0]);
    throw std::runtime_error(fmt::format("linux: fork: {}", std::strerror(error)));
  }
  // The server does the same; whichever runs first, the group exists.
  ::setpgid(host, host);
  group_ = host;
  if (spin_seed_ == 0) spin_seed_ = static_cast<std::uint64_t>(host);
  servers_[kInitPid] =
      std::make_shared<Server>(host, host, ends[0], std::make_shared<std::shared_mutex>());
  ReplyMsg hello = receive(kInitPid, Reply::Hello, "its hello");
  if (hello.error != 0)
    stop(Kind::Crash,
         fmt::format("pid 1 could not map {} pages: {}", config.pages, std::strerror(hello.error)));
  if (options_.thp && hello.thp.pmd_after == 0)
    throw HostUnsupported(fmt::format(
        "linux:thp: the host gave no huge page: pid 1's 2 MiB region, MADV_HUGEPAGE and written "
        "whole, is not mapped by a PMD (PAGEMAP_SCAN, 6.7 or later, says so; {})",
        thp_settings()));
  reads_pfns_ = options_.read_pfns && pagemap_pfn(hello.entry_after) != 0;
  zero_pfn_ = reads_pfns_ ? hello.zero_pfn : 0;
}

std::string LinuxCow::describe() const {
  std::string faults =
      reads_pfns_ ? std::string("faults told apart by PFN from /proc/self/pagemap")
                  : fmt::format(
                        "outcomes only: {}, so every op reports no fault and how faults are "
                        "served is not checked",
                        options_.read_pfns ? "/proc/self/pagemap shows no PFNs (they need "
                                             "CAP_SYS_ADMIN)"
                                           : "PFN reading is switched off");
  std::string pins = op_in(supported_, OpKind::Pin)
                         ? "pins are io_uring fixed buffers (FOLL_PIN), or vmsplice references "
                           "to pages of the file"
                         : "pin and unpin are not run: io_uring (5.19 or later) is not available";
  std::string pages =
      options_.thp ? "; pid 1's pages are one PMD-mapped transparent huge page" : "";
  return fmt::format("linux {}: real processes{}; {}; {}; swapout is not run: {}", kernel_release(),
                     pages, faults, pins, swapout_left_out());
}

std::optional<pid_t> LinuxCow::host_pid(Pid pid) const {
  std::lock_guard lock(state_);
  auto it = servers_.find(pid);
  if (it == servers_.end()) return std::nullopt;
  return it->second->host;
}

namespace {

UnsupportedOp unsupported(const Op& op, OpSet supported, const std::string& swapout_why) {
  std::string why = op.kind == OpKind::Swapout ? swapout_why
                    : op.kind == OpKind::Exec  ? "the oracle's executable cannot be opened"
                    : op.kind == OpKind::Memwrite
                        ? "/proc/PID/mem does not force writes here (proc_mem.force_override)"
                        : "io_uring (5.19 or later) is not available";
  return UnsupportedOp(fmt::format(
      "linux: '{}' cannot be run on this host: {} (the linux implementation does {}; see "
      "docs/linux.md)",
      to_string(op), why, op_set_names(supported)));
}

}  // namespace

Outcome LinuxCow::apply(const Op& op) {
  if (!op_in(supported_, op.kind)) throw unsupported(op, supported_, swapout_left_out());
  return run_op(op, Race{}, nullptr);
}

namespace {

// An access that changes what is mapped, or a read-only pin (which makes a
// text page writable for a moment, server_access.cpp), has its address
// space alone: an access that fails with EFAULT is told "no mapping" from
// "not allowed" by asking mincore() after the call, which a concurrent
// mmap or munmap would answer for the wrong moment. So has an exec: it
// kills the other tasks of its process, and one killed in the middle of an
// access never says whether the access was done (a write to shared memory
// may be seen afterwards, or not), so no access may be in flight then.
bool needs_space_alone(const Op& op) {
  return op.kind == OpKind::Mmap || op.kind == OpKind::Munmap || op.kind == OpKind::Exec ||
         (op.kind == OpKind::Pin && !op.rw);
}

bool takes_space(const Op& op) { return runs_at_once(op.kind) || op.kind == OpKind::Exec; }

// Takes `lock` at once if it can, else first lets the gate open without
// this lane (another lane holds what it needs) and then waits.
template <typename Lock>
void take(Lock& lock, const auto& race) {
  if (lock.try_lock()) return;
  race.arrive();
  lock.lock();
}

}  // namespace

Outcome LinuxCow::run_op(const Op& op, const Race& race, Call* call) {
  // One call at a time on a task's socket; then its address space, for an
  // access; then the oracle's state. The task is looked up again under the
  // last: another lane may have made or ended it meanwhile, and the answer
  // must be of the moment the call's first tick is read.
  ServerRef server;
  std::unique_lock<std::mutex> busy;
  std::shared_lock<std::shared_mutex> shared_space;
  std::unique_lock<std::shared_mutex> own_space;
  std::unique_lock<std::recursive_mutex> lock;
  for (;;) {
    {
      std::lock_guard look(state_);
      if (!stopped_.empty())
        throw ImplementationStopped(Kind::Crash, "linux: already stopped: " + stopped_);
      server.reset();
      if (op.kind != OpKind::Unpin) {
        auto it = servers_.find(op.pid);
        if (it != servers_.end()) server = it->second;
      }
    }
    if (server) {
      busy = std::unique_lock(server->busy, std::defer_lock);
      take(busy, race);
      if (takes_space(op)) {
        if (needs_space_alone(op)) {
          own_space = std::unique_lock(*server->space, std::defer_lock);
          take(own_space, race);
        } else {
          shared_space = std::shared_lock(*server->space, std::defer_lock);
          take(shared_space, race);
        }
      }
    }
    lock = std::unique_lock(state_);
    ServerRef now;
    if (op.kind != OpKind::Unpin)
      if (auto it = servers_.find(op.pid); it != servers_.end()) now = it->second;
    if (now == server || !stopped_.empty()) break;
    lock.unlock();
    if (own_space.owns_lock()) own_space.unlock();
    if (shared_space.owns_lock()) shared_space.unlock();
    if (busy.owns_lock()) busy.unlock();
  }
  if (!stopped_.empty())
    throw ImplementationStopped(Kind::Crash, "linux: already stopped: " + stopped_);
  if (call) call->invoked = tick();
  auto done = [&](Outcome outcome) {
    if (call && call->returned == 0) call->returned = tick();
    return outcome;
  };
  last_thp_ = ThpFacts{};
  if (op.kind == OpKind::Unpin) {
    race.arrive();
    return done(do_unpin(op));
  }
  if (!server) {
    race.arrive();
    return done(Outcome::error(Status::NoSuchProcess));
  }
  // Asleep in vfork: the kernel would not let it do anything, and a request
  // would wait until its child leaves. Its socket stays quiet meanwhile.
  if (server->suspended_by != 0) {
    race.arrive();
    return done(Outcome::error(Status::Suspended));
  }
  if (!runs_at_once(op.kind)) {
    race.arrive();
    return done(do_task_op(op));
  }
  // The access itself runs without the oracle's state held: other lanes'
  // tasks act meanwhile.
  lock.unlock();
  Outcome outcome =
      op.kind == OpKind::Mmap || op.kind == OpKind::Munmap || op.kind == OpKind::Madvise
          ? do_map(op, server, race, call)
          : do_access(op, server, race, call);
  race.arrive();
  std::lock_guard relock(state_);
  return done(outcome);
}

Outcome LinuxCow::do_task_op(const Op& op) {
  switch (op.kind) {
    case OpKind::Fork: return do_fork(op.pid);
    case OpKind::Vfork: return do_vfork(op.pid);
    case OpKind::Thread: return do_thread(op.pid);
    case OpKind::Exit: return do_exit(op.pid);
    case OpKind::Exec: return do_exec(op.pid);
    default: break;
  }
  throw UnsupportedOp(fmt::format("linux: '{}' is not driven on the host", to_string(op)));
}

int LinuxCow::send_with_new_socket(Pid parent, Request kind) {
  int ends[2];
  if (!channel_pair(ends))
    stop(Kind::Crash,
         fmt::format("socketpair for a child of pid {}: {}", parent, std::strerror(errno)));
  OwnedFd ours(ends[0]);
  {
    // Our copy of the child's end goes once sent: the child must hold the
    // only one, so that its death closes ours.
    OwnedFd theirs(ends[1]);
    RequestMsg request;
    request.kind = kind;
    send(parent, request, theirs.get());
  }
  return ours.release();
}

Outcome LinuxCow::do_fork(Pid parent) {
  if (servers_.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  OwnedFd ours(send_with_new_socket(parent, Request::Fork));
  ReplyMsg forked = receive(parent, Reply::Forked, "the answer to fork");
  if (forked.error != 0)
    stop(Kind::Crash, fmt::format("fork() in pid {} failed on the host: {}", parent,
                                  std::strerror(forked.error)));
  Pid child = next_pid_;
  last_fork_copied_ = forked.copied;
  servers_[child] = std::make_shared<Server>(forked.host_pid, forked.host_pid, ours.release(),
                                             std::make_shared<std::shared_mutex>());
  ReplyMsg ready = receive(child, Reply::Ready, "the new child's first message");
  if (ready.host_pid != forked.host_pid)
    stop(Kind::Crash, fmt::format("pid {} says it is host pid {}, its parent said {}", child,
                                  ready.host_pid, forked.host_pid));
  ++next_pid_;  // only a fork that succeeded takes a pid
  return Outcome::forked(child);
}

// The parent answers a vfork only when it is back from it, so the child
// speaks first. A vfork that failed never had a child: the parent closes
// the child's socket and says why.
Outcome LinuxCow::do_vfork(Pid parent) {
  if (servers_.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  OwnedFd ours(send_with_new_socket(parent, Request::Vfork));
  Pid child = next_pid_;
  ReplyMsg ready;
  int timeout = static_cast<int>(options_.reply_timeout.count());
  switch (channel_receive(ours.get(), &ready, sizeof ready, timeout)) {
    case Received::Message:
      if (ready.kind == Reply::Ready) break;
      stop(Kind::Crash, fmt::format("the vfork child of pid {} sent '{}' before 'ready'", parent,
                                    reply_name(ready.kind)));
    case Received::Closed: {
      ReplyMsg back = receive(parent, Reply::Vforked, "the answer to a vfork whose child is gone");
      if (back.error != 0)
        stop(Kind::Crash, fmt::format("vfork in pid {} failed on the host: {}", parent,
                                      std::strerror(back.error)));
      stop(Kind::Crash, fmt::format("the vfork child of pid {} (host pid {}) died before it "
                                    "served",
                                    parent, back.host_pid));
    }
    case Received::TimedOut:
      stop(Kind::Hang,
           fmt::format("the vfork child of pid {} did not answer within {} ms", parent, timeout));
    case Received::Failed:
      stop(Kind::Crash, fmt::format("the vfork child of pid {} sent a malformed message", parent));
  }
  servers_[child] = std::make_shared<Server>(ready.host_pid, ready.host_pid, ours.release(),
                                             servers_.at(parent)->space, parent);
  // The parent must be asleep in the kernel: nothing from it until its
  // child leaves. (A parent that ran on would most likely have answered by
  // now; a late answer is caught when the child leaves.)
  ReplyMsg early;
  if (channel_receive(servers_.at(parent)->fd, &early, sizeof early, 0) != Received::TimedOut)
    stop(Kind::Crash, fmt::format("pid {} ran on after vfork while its child pid {} runs in its "
                                  "space: the host did not suspend it",
                                  parent, child));
  servers_.at(parent)->suspended_by = child;
  ++next_pid_;
  return Outcome::forked(child);
}

// The creator answers with the new task's id once the thread has its
// state; the thread then speaks on its own socket.
Outcome LinuxCow::do_thread(Pid creator) {
  if (servers_.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  OwnedFd ours(send_with_new_socket(creator, Request::Thread));
  ReplyMsg made = receive(creator, Reply::Threaded, "the answer to thread");
  if (made.error != 0)
    stop(Kind::Crash, fmt::format("clone(CLONE_THREAD) in pid {} failed on the host: {}", creator,
                                  std::strerror(made.error)));
  Pid tid = next_pid_;
  servers_[tid] = std::make_shared<Server>(made.host_pid, servers_.at(creator)->process,
                                           ours.release(), servers_.at(creator)->space);
  ReplyMsg ready = receive(tid, Reply::Ready, "the new thread's first message");
  if (ready.host_pid != servers_.at(creator)->process)
    stop(Kind::Crash,
         fmt::format("thread pid {} (task {}) says it is in process {}, its creator "
                     "is in {}",
                     tid, made.host_pid, ready.host_pid, servers_.at(creator)->process));
  ++next_pid_;
  return Outcome::forked(tid);
}

void LinuxCow::resume_vfork_parent(Pid parent, pid_t child_host) {
  // An exec in its process may have ended the parent meanwhile.
  if (servers_.count(parent) == 0) return;
  ReplyMsg back = receive(parent, Reply::Vforked, "its return from vfork");
  if (back.error != 0 || back.host_pid != child_host)
    stop(Kind::Crash, fmt::format("pid {} came back from vfork with host pid {} (error {}), its "
                                  "child was host pid {}",
                                  parent, back.host_pid, back.error, child_host));
  servers_.at(parent)->suspended_by = 0;
}

bool LinuxCow::last_of_its_process(Pid pid) const {
  pid_t process = servers_.at(pid)->process;
  for (const auto& [other, server] : servers_)
    if (other != pid && server->process == process) return false;
  return true;
}

std::optional<int> LinuxCow::await_exit(Pid pid, const char* why, bool reap_it) {
  Server& server = *servers_.at(pid);
  ReplyMsg unexpected;
  int timeout = static_cast<int>(options_.reply_timeout.count());
  switch (channel_receive(server.fd, &unexpected, sizeof unexpected, timeout)) {
    case Received::Closed: break;
    case Received::TimedOut:
      stop(Kind::Hang, fmt::format("pid {} (host pid {}) did not {} within {} ms", pid, server.host,
                                   why, timeout));
    case Received::Message:
    case Received::Failed:
      stop(Kind::Crash,
           fmt::format("pid {} (host pid {}) answered instead of exiting", pid, server.host));
  }
  if (!reap_it) return std::nullopt;
  return reap(server);
}

// Done only when the process is gone: its socket closes after the kernel
// has torn down its address space (do_exit runs exit_mm before
// exit_files), and reaping it proves it. So the next op sees every page it
// mapped released, as the model does at once. A vfork child's exit wakes its
// parent (exit_mm completes vfork_done), and the parent's answer to the
// vfork proves that too.
//
// A task of a process with other tasks ends alone (the others go on in the
// space); the process is reaped with its last task.
Outcome LinuxCow::do_exit(Pid pid) {
  RequestMsg request;
  request.kind = Request::Exit;
  send(pid, request, -1);
  pid_t host = servers_.at(pid)->host;
  Pid vfork_parent = servers_.at(pid)->vfork_parent;
  bool last = last_of_its_process(pid);
  std::optional<int> status = await_exit(pid, "exit", last);
  servers_.erase(pid);
  // With no member left the group's id may be reused by strangers: forget it.
  if (servers_.empty()) group_ = -1;
  if (last && status && !(WIFEXITED(*status) && WEXITSTATUS(*status) == 0))
    stop(Kind::Crash, fmt::format("pid {} {} when asked to exit", pid, exit_status_text(status)));
  if (vfork_parent != 0) resume_vfork_parent(vfork_parent, host);
  return Outcome::ok();
}

// de_thread: before the new image runs, the kernel has killed every other
// task of the process and waited until each has gone through exit (its
// address space dropped, its files closed). Their sockets close then, but
// for a vfork child's: its parent holds a copy until it wakes from vfork
// (the clone that takes it returns), hence the wait. One a lane is talking
// to is left to that lane, which finds it gone.
void LinuxCow::end_other_tasks(Pid pid) {
  pid_t process = servers_.at(pid)->process;
  std::vector<Pid> others;
  for (const auto& [other, server] : servers_)
    if (other != pid && server->process == process) others.push_back(other);
  for (Pid other : others) {
    ServerRef server = servers_.at(other);
    server->ended = true;
    std::unique_lock busy(server->busy, std::try_to_lock);
    if (busy.owns_lock()) {
      ReplyMsg unexpected;
      int timeout = static_cast<int>(options_.reply_timeout.count());
      if (channel_receive(server->fd, &unexpected, sizeof unexpected, timeout) != Received::Closed)
        stop(Kind::Crash, fmt::format("pid {} (task {}) lives on after an exec in pid {} of its "
                                      "process",
                                      other, server->host, pid));
    }
    servers_.erase(other);
    if (server->vfork_parent != 0) resume_vfork_parent(server->vfork_parent, server->host);
  }
}

// The server execs the oracle's own executable, whose first act is to
// become a server again (impl/linux/server_exec.cpp): same host pid, same
// socket, a new address space.
Outcome LinuxCow::do_exec(Pid pid) {
  RequestMsg request;
  request.kind = Request::Exec;
  send(pid, request, -1);
  ReplyMsg hello = receive(pid, Reply::Hello, "the new image's hello");
  Server& server = *servers_.at(pid);
  if (hello.error != 0)
    stop(Kind::Crash,
         fmt::format("exec in pid {} failed on the host: {}", pid, std::strerror(hello.error)));
  // A thread that execs takes its process's id (de_thread).
  if (hello.host_pid != server.process)
    stop(Kind::Crash,
         fmt::format("pid {} (task {} of process {}) came back from exec as host pid {}", pid,
                     server.host, server.process, hello.host_pid));
  end_other_tasks(pid);
  server.space = std::make_shared<std::shared_mutex>();
  pid_t was = std::exchange(server.host, server.process);
  if (Pid parent = std::exchange(server.vfork_parent, 0); parent != 0)
    resume_vfork_parent(parent, was);
  return Outcome::ok();
}

namespace {

// The task's own ticks, read around its access, where it gave them: inside
// the oracle's, so sound and closer. Not for a pin, whose id the oracle
// gives only once the answer is back (ids go in the order the oracle sees).
void take_task_ticks(Call* call, const ReplyMsg& reply, OpKind kind) {
  if (call == nullptr || kind == OpKind::Pin || reply.invoked == 0 || reply.returned == 0) return;
  call->invoked = reply.invoked;
  call->returned = reply.returned;
}

}  // namespace

// Sent and answered without the oracle's state held (the task's `busy` is):
// what the answer means is read with it held again.
Outcome LinuxCow::do_map(const Op& op, const ServerRef& server, const Race& race, Call* call) {
  if (op.count == 0 || op.vpn >= config_.pages || op.count > config_.pages - op.vpn ||
      (op.kind == OpKind::Mmap && op.map == MapKind::None))
    return Outcome::error(Status::BadAddress);  // the caller's ticks hold it
  RequestMsg request;
  request.kind = op.kind == OpKind::Mmap     ? Request::Map
                 : op.kind == OpKind::Munmap ? Request::Unmap
                                             : Request::Madvise;
  request.vpn = op.vpn;
  request.count = op.count;
  request.map = static_cast<std::uint32_t>(op.map);
  request.start = race.start;
  request.spin = race.spin;
  request.cpu = race.cpu;
  std::optional<ReplyMsg> mapped;
  bool sent = send_to(op.pid, *server, request, -1);
  race.arrive();
  if (sent)
    mapped = receive_from(op.pid, *server, Reply::Mapped, request_name(request.kind).data());
  std::lock_guard lock(state_);
  if (!mapped) return Outcome::error(Status::NoSuchProcess);  // ended by an exec meanwhile
  if (mapped->error != 0)
    stop(Kind::Crash,
         fmt::format("'{}' failed on the host: {}", to_string(op), std::strerror(mapped->error)));
  take_task_ticks(call, *mapped, op.kind);
  return Outcome::ok();
}

Outcome LinuxCow::do_access(const Op& op, const ServerRef& server, const Race& race, Call* call) {
  if (op.vpn >= config_.pages || op.word >= config_.words)
    return Outcome::error(Status::BadAddress);
  RequestMsg request;
  request.kind = request_for(op.kind);
  request.vpn = op.vpn;
  request.word = op.word;
  request.value = op.value;
  request.rw = op.rw ? 1 : 0;
  request.start = race.start;
  request.spin = race.spin;
  request.cpu = race.cpu;
  if (op.kind == OpKind::Pin) {
    std::lock_guard lock(state_);
    request.slot = take_slot(op);
  }
  int passed = -1;
  std::optional<ReplyMsg> answer;
  bool sent = send_to(op.pid, *server, request, -1);
  race.arrive();
  if (sent)
    answer =
        receive_from(op.pid, *server, Reply::Touched, request_name(request.kind).data(), &passed);
  OwnedFd pipe(passed);
  std::lock_guard lock(state_);
  if (op.kind == OpKind::Pin) slot_used_[request.slot] = false;  // taken again below if held
  if (!answer) return Outcome::error(Status::NoSuchProcess);     // ended by an exec meanwhile
  const ReplyMsg& touched = *answer;
  if (touched.error != 0)
    stop(Kind::Crash,
         fmt::format("'{}' failed on the host: {}", to_string(op), std::strerror(touched.error)));
  take_task_ticks(call, touched, op.kind);
  if (touched.access == Access::Unmapped) return Outcome::error(Status::BadAddress);
  if (touched.access == Access::Forbidden) return Outcome::error(Status::ProtFault);
  bool by_ring = op.kind == OpKind::Pin && touched.pin_by == PinBy::FixedBuffer;
  AccessReport report{op.kind == OpKind::Write || op.kind == OpKind::Copyout ||
                          op.kind == OpKind::Memwrite || by_ring,
                      static_cast<MapKind>(touched.map),
                      touched.maybe_write_protected != 0,
                      touched.entry_before,
                      touched.entry_after,
                      std::nullopt,
                      op.kind == OpKind::Memwrite};
  if (options_.thp) {
    report.faults = touched.faults;
    last_thp_ = touched.thp;
  }
  Fault fault = classify_access(report, zero_pfn_, reads_pfns_);
  switch (op.kind) {
    case OpKind::Read: return Outcome::read(touched.value, fault);
    case OpKind::Pin: {
      if (!by_ring && pipe.get() < 0)
        stop(Kind::Crash, fmt::format("'{}': the server sent no pipe", to_string(op)));
      HeldPin held;
      if (by_ring) {
        held.slot = request.slot;
        slot_used_[request.slot] = true;
      } else {
        held.pipe = pipe.release();
      }
      held.address = touched.address;
      PinId id = next_pin_++;
      pins_.emplace(id, std::move(held));
      return Outcome::pinned(id, fault);
    }
    default: return Outcome::wrote(fault);
  }
}

Outcome LinuxCow::do_unpin(const Op& op) {
  auto it = pins_.find(op.pin);
  if (it == pins_.end()) return Outcome::error(Status::NoSuchPin);
  if (op.word >= config_.words) return Outcome::error(Status::BadAddress);
  HeldPin pin = std::move(it->second);
  pins_.erase(it);
  std::string what = fmt::format("pin {}", op.pin);
  Value value = read_pin(pin, op.word, what);
  if (pin.slot) {
    slot_used_[*pin.slot] = false;
    if (std::string error = ring_->release(*pin.slot); !error.empty())
      stop(Kind::Crash, fmt::format("dropping {}: {}", what, error));
  }
  if (pin.pipe >= 0) ::close(pin.pipe);
  return Outcome::read(value);
}

// The lowest free slot, marked used until the pin's answer (lanes pin at
// once); a run that holds every slot at once has met a limit of this
// adapter, not of the host.
std::uint32_t LinuxCow::take_slot(const Op& op) {
  for (std::uint32_t slot = 0; slot < slot_used_.size(); ++slot)
    if (!slot_used_[slot]) {
      slot_used_[slot] = true;
      return slot;
    }
  stop(Kind::Crash, fmt::format("'{}': the adapter holds at most {} pins at once", to_string(op),
                                PinRing::kSlots));
}

Value LinuxCow::read_pin(const HeldPin& pin, std::uint32_t word, const std::string& what) {
  PageWords page{};
  if (pin.slot) {
    std::string error = ring_->read(*pin.slot, pin.address, page);
    if (!error.empty()) stop(Kind::Crash, fmt::format("reading {}: {}", what, error));
  } else {
    ssize_t got = ::read(pin.pipe, page.data(), kPageBytes);
    if (got != static_cast<ssize_t>(kPageBytes))
      stop(Kind::Crash,
           fmt::format("reading {}: {}", what, got < 0 ? std::strerror(errno) : "short read"));
  }
  return page[word];
}

int LinuxCow::reference(Pid pid, Vpn vpn) {
  if (!stopped_.empty())
    throw ImplementationStopped(Kind::Crash, "linux: already stopped: " + stopped_);
  std::lock_guard lock(state_);
  auto it = servers_.find(pid);
  if (it == servers_.end() || it->second->suspended_by != 0 || vpn >= config_.pages)
    throw std::invalid_argument(fmt::format("linux: cannot reference page {} of pid {}", vpn, pid));
  RequestMsg request;
  request.kind = Request::Reference;
  request.vpn = vpn;
  send(pid, request, -1);
  int passed = -1;
  ReplyMsg touched = receive(pid, Reply::Touched, "reference", &passed);
  OwnedFd pipe(passed);
  if (touched.access != Access::Done)
    throw std::invalid_argument(fmt::format("linux: page {} of pid {} is not mapped", vpn, pid));
  if (touched.error != 0 || pipe.get() < 0)
    throw std::runtime_error(fmt::format("linux: vmsplice of page {} in pid {}: {}", vpn, pid,
                                         std::strerror(touched.error)));
  references_[next_reference_] = pipe.release();
  return next_reference_++;
}

Value LinuxCow::drop_reference(int reference, std::uint32_t word) {
  auto it = references_.find(reference);
  if (it == references_.end() || word >= config_.words)
    throw std::invalid_argument(
        fmt::format("linux: no reference {} with word {}", reference, word));
  PageWords page{};
  ssize_t got = ::read(it->second, page.data(), kPageBytes);
  ::close(it->second);
  references_.erase(it);
  if (got != static_cast<ssize_t>(kPageBytes))
    throw std::runtime_error(fmt::format("linux: reading reference {}: {}", reference,
                                         got < 0 ? std::strerror(errno) : "short read"));
  return page[word];
}

}  // namespace cow::linux_host
