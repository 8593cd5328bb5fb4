// The live host kernel as an implementation under test. Every process of the
// op sequence is a real process (a server, impl/linux/server.h) whose space
// is Config::pages 4 KiB pages; fork, vfork and exec are the host's own,
// mmap and munmap are real mappings (file kinds over one memfd,
// impl/linux/backing_file.h), writes and reads are stores and loads,
// copyout is the kernel's store (read() from a pipe), and a pin is the
// kernel's long-term pin (an io_uring fixed buffer, impl/linux/pin_ring.h)
// or, for a page of the file, a vmsplice() reference. How each access was
// served is told from /proc/self/pagemap (impl/linux/access_fault.h) when
// the PFNs are readable (root); otherwise every op reports no fault and only
// the outcomes mean anything. docs/linux.md says what each op does and what
// this host did.
//
// Config::frames is ignored: the host has plenty, and nothing runs out of
// memory here. swapout is not run (see supported_ops). A black box:
// snapshot() is nullopt.
//
// `thread P` is a real thread of P's process (clone with CLONE_VM |
// CLONE_THREAD) serving that pid on a socket of its own; `madvise` is
// madvise(MADV_DONTNEED); `memwrite` is pwrite() into /proc/thread-self/mem.
// run_lanes() drives several tasks at once, each lane from a thread of the
// oracle, with every call's ticks read from one clock in shared memory
// (impl/linux/race_clock.h).
//
// Use an instance from the thread that made it (run_lanes' own threads
// aside): its processes die with that thread (PR_SET_PDEATHSIG), so that
// they never outlive the oracle.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "impl/linux/pin_ring.h"
#include "impl/linux/race_clock.h"
#include "impl/linux/server_wire.h"
#include "spec/implementation.h"

namespace cow::linux_host {

struct LinuxOptions {
  // Longer than this for one answer is a HANG.
  std::chrono::milliseconds reply_timeout{5000};
  // False: outcomes only even where PFNs are readable.
  bool read_pfns = true;
  // Run every server on the CPU the oracle was on when it made them (why: in
  // linux_cow.cpp, at pick_cpu).
  bool pin_cpu = true;
  // linux:thp: pid 1's pages are the first pages of one PMD-mapped
  // transparent huge page (MADV_HUGEPAGE, docs/linux.md "Transparent huge
  // pages"); every later mapping, and an exec'd space, is 4 KiB pages.
  bool thp = false;
};

// The host cannot run what was asked of it (a mode it does not offer): bad
// input for this host, not a finding about it.
class HostUnsupported : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class LinuxCow final : public Implementation {
 public:
  // Starts pid 1. Throws ImplementationStopped when it cannot be started,
  // HostUnsupported when the host cannot run the mode asked for (linux:thp
  // where the kernel gives no huge page, or more pages than one holds),
  // std::runtime_error when it lacks what every run needs.
  explicit LinuxCow(const Config& config, const LinuxOptions& options = {});
  // Kills and reaps every process it made, whatever state they are in, and
  // drops every pin.
  ~LinuxCow() override;
  LinuxCow(const LinuxCow&) = delete;
  LinuxCow& operator=(const LinuxCow&) = delete;

  // Throws ImplementationStopped when a server dies (Crash) or does not
  // answer in time (Hang), or when the host does what no kernel may (a
  // vfork parent that runs on): after that every call throws, and every
  // process is already gone. An op outside supported_ops() throws
  // UnsupportedOp naming it, before anything is sent: it is bad input for
  // this implementation.
  Outcome apply(const Op& op) override;
  // Every op but swapout; pin and unpin only where io_uring works, exec
  // only where the oracle's executable can be opened (both are so here),
  // memwrite only where /proc/PID/mem may be written.
  OpSet supported_ops() const override { return supported_; }
  std::optional<Snapshot> snapshot() const override { return std::nullopt; }

  // Each lane on a thread of its own, all released at once (the clock's
  // gate), each op after a random spin of up to `max_spin` rounds (see
  // set_lane_spin). Ops that act on a page or a mapping (write, read,
  // copyout, memwrite, pin, mmap, munmap, madvise) run truly at once, their
  // ticks read by the task itself just around its access; the ops that make
  // or end tasks and unpin are done one at a time by the oracle, each at a
  // moment between its ticks. Throws as apply() does (the first lane's
  // failure); UnsupportedOp before anything runs for an op outside
  // supported_ops().
  std::vector<Call> run_lanes(const Lanes& lanes) override;
  // The random delays of run_lanes: up to `max_spin` rounds before each op,
  // from `seed`. 0: none. By default 300 rounds from a seed of this
  // instance's own (pid 1's host pid), so that instances differ.
  void set_lane_spin(std::uint32_t max_spin, std::uint64_t seed) {
    max_spin_ = max_spin;
    spin_seed_ = seed;
  }

  // Whether accesses report their faults (PFNs readable) or outcomes only.
  bool reads_pfns() const { return reads_pfns_; }
  // One line for people: the kernel, what this run can check, what it
  // leaves out and why.
  std::string describe() const;

  // linux:thp, and what the last op's page access found of huge pages
  // (all false after any other op, and outside the mode).
  bool thp() const { return options_.thp; }
  const ThpFacts& last_thp() const { return last_thp_; }
  // How many pages the last fork copied for the child at once rather than
  // share (pinned pages; under linux:thp every page of a pinned huge page).
  std::uint32_t last_fork_copied() const { return last_fork_copied_; }

  // The host process behind a live pid, for tests that break one on purpose.
  std::optional<pid_t> host_pid(Pid pid) const;

  // An experiment past the op vocabulary: a vmsplice() reference to page
  // `vpn` of `pid` held by the oracle (selftests/mm/cow.c's read-only
  // "pin"; unlike the `pin` op, get_user_pages(FOLL_GET), which neither
  // unshares the page nor makes a fork copy it). Returns the reference's
  // own id (not a pin id). Throws std::invalid_argument for a dead or
  // suspended pid, or a page that is not mapped.
  int reference(Pid pid, Vpn vpn);
  // Word `word` of the referenced page as the reference sees it now; drops it.
  Value drop_reference(int reference, std::uint32_t word = 0);

 private:
  // One task of the op sequence: a process, or a thread of one.
  struct Server {
    using SpaceLock = std::shared_ptr<std::shared_mutex>;
    Server(pid_t task, pid_t process, int fd, SpaceLock space, Pid vfork_parent = 0)
        : host(task),
          process(process),
          fd(fd),
          space(std::move(space)),
          vfork_parent(vfork_parent) {}
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    pid_t host = -1;     // its task id (the process's id for its first task); -1 once reaped
    pid_t process = -1;  // its process (thread group): our child, reaped with its last task
    int fd = -1;         // our end of its socket, closed with this record
    // One per address space, shared by the tasks in it: every access takes
    // it shared, a read-only pin alone (it makes a text page writable for a
    // moment, server_access.cpp). Changed only by its own task's exec.
    SpaceLock space;
    Pid vfork_parent = 0;  // the task that sleeps in vfork until this one execs or exits
    Pid suspended_by = 0;  // the vfork child this one sleeps for
    bool ended = false;    // ended by an exec in another task of its process
    std::mutex busy;       // held by the one call on its socket (run_lanes)
  };
  using ServerRef = std::shared_ptr<Server>;
  // How a lane's request starts: the gate's round to wait for (0: none) and
  // the rounds to spin.
  struct Race {
    std::uint32_t start = 0;
    std::uint32_t spin = 0;
    std::uint32_t cpu = 0;  // RequestMsg::cpu
    // run_lanes' count of lanes that have sent their first request (or are
    // about to wait for a task another lane holds); null outside lanes.
    std::latch* sent = nullptr;
    bool* counted = nullptr;
    void arrive() const {
      if (sent && !*counted) {
        *counted = true;
        sent->count_down();
      }
    }
  };
  // A pin the oracle holds: a slot of the run's io_uring instance, or the
  // pipe a page-cache page was spliced into.
  struct HeldPin {
    std::optional<std::uint32_t> slot;
    int pipe = -1;
    std::uint64_t address = 0;  // the page's address in the pinning process
  };

  void start_first(const Config& config);
  // One op with its ticks (`call`, when not null): what apply() and each
  // lane of run_lanes() run.
  Outcome run_op(const Op& op, const Race& race, Call* call);
  Outcome do_task_op(const Op& op);
  Outcome do_fork(Pid parent);
  Outcome do_vfork(Pid parent);
  Outcome do_thread(Pid creator);
  Outcome do_exit(Pid pid);
  Outcome do_exec(Pid pid);
  // The tasks an exec in `pid` ended (de_thread): the other tasks of its process.
  void end_other_tasks(Pid pid);
  Outcome do_map(const Op& op, const ServerRef& server, const Race& race, Call* call);
  Outcome do_access(const Op& op, const ServerRef& server, const Race& race, Call* call);
  Outcome do_unpin(const Op& op);
  bool last_of_its_process(Pid pid) const;
  std::uint64_t tick() { return clock_ ? race_clock_tick(clock_) : 0; }

  // Makes a new child's socket, sends `request` with its end to `parent`,
  // and registers the child (host pid unknown until it says Ready).
  int send_with_new_socket(Pid parent, Request request);
  // After a vfork child left (exit or exec): its parent must be back.
  void resume_vfork_parent(Pid child, pid_t child_host);
  // Waits for the socket of `pid` to close, and reaps it: the process is gone.
  // Reaps it only when `reap_it` (the last task of its process).
  std::optional<int> await_exit(Pid pid, const char* why, bool reap_it);
  // One page access, classified.
  Outcome touch(Pid pid, const RequestMsg& request, const Op& op, ReplyMsg* reply, int* passed_fd);
  Value read_pin(const HeldPin& pin, std::uint32_t word, const std::string& what);
  std::uint32_t take_slot(const Op& op);

  // One request and its answer, which must be of kind `want`.
  ReplyMsg call(Pid pid, const RequestMsg& request, Reply want, int pass_fd = -1);
  void send(Pid pid, const RequestMsg& request, int pass_fd);
  // An attached descriptor lands in `*passed_fd`, or is closed when null.
  ReplyMsg receive(Pid pid, Reply want, const char* waiting_for, int* passed_fd = nullptr);
  // The same for a task already looked up (run_lanes: not under state_).
  // send_to is false when the task is gone, receive_from returns nullopt
  // then; only a task an exec ended may be gone, anything else stops.
  bool send_to(Pid pid, Server& server, const RequestMsg& request, int pass_fd);
  std::optional<ReplyMsg> receive_from(Pid pid, Server& server, Reply want, const char* waiting_for,
                                       int* passed_fd = nullptr);
  // Waits for a server whose socket closed; its wait status, or nullopt
  // when there is none to have (reaped already, or by the kernel).
  std::optional<int> reap(Server& server);

  [[noreturn]] void stop(ImplementationStopped::Kind kind, const std::string& what);
  void kill_all() noexcept;

  Config config_;
  LinuxOptions options_;
  pid_t oracle_ = 0;
  OpSet supported_ = kCoreOps;
  int file_ = -1;                // the backing file
  int exe_ = -1;                 // the oracle's executable (O_PATH), which exec runs
  std::optional<PinRing> ring_;  // the pins, where io_uring works
  std::vector<bool> slot_used_;  // which of ring_'s slots hold a pin
  // Every server's process group (the first server's host pid): kill_all
  // reaches a server even when it died before we learned its pid.
  pid_t group_ = -1;
  std::map<Pid, ServerRef> servers_;  // the live tasks, by our pid
  // Guards everything here but a server's socket while its `busy` is held.
  // Recursive: stop() may be reached with it held or not.
  mutable std::recursive_mutex state_;
  int clock_fd_ = -1;
  RaceClock* clock_ = nullptr;     // the race clock, mapped here too
  std::uint32_t round_ = 0;        // the gate's last round
  std::uint32_t max_spin_ = 300;   // about 8 us of `pause` on x86-64: a fault's time
  std::uint64_t spin_seed_ = 0;    // 0 until pid 1 starts
  std::map<PinId, HeldPin> pins_;  // the `pin` op's pins
  PinId next_pin_ = 1;
  std::map<int, int> references_;  // reference id -> the pipe holding the page
  int next_reference_ = 1;
  Pid next_pid_ = kInitPid + 1;
  bool reads_pfns_ = false;
  std::uint64_t zero_pfn_ = 0;
  std::string stopped_;  // why the last failure stopped everything, or empty
  ThpFacts last_thp_;
  std::uint32_t last_fork_copied_ = 0;
};

}  // namespace cow::linux_host
