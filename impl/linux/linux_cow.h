// The live host kernel as an implementation under test. Every process of the
// op sequence is a real process (a server, impl/linux/server.h) holding a
// private anonymous mapping of Config::pages 4 KiB pages; fork is the host's
// fork, writes and reads are stores and loads. How a write fault was served
// is told from /proc/self/pagemap (impl/linux/write_fault.h) when the PFNs
// are readable (root); otherwise every write reports no fault and only the
// outcomes mean anything.
//
// Config::frames is ignored: the host has plenty, and a write never runs out
// of memory here. A black box: snapshot() is nullopt.
//
// Use an instance from the thread that made it: its processes die with that
// thread (PR_SET_PDEATHSIG), so that they never outlive the oracle.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

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
};

class LinuxCow final : public Implementation {
 public:
  // Starts pid 1. Throws ImplementationStopped when it cannot be started.
  explicit LinuxCow(const Config& config, const LinuxOptions& options = {});
  // Kills and reaps every process it made, whatever state they are in.
  ~LinuxCow() override;
  LinuxCow(const LinuxCow&) = delete;
  LinuxCow& operator=(const LinuxCow&) = delete;

  // Throws ImplementationStopped when a server dies (Crash) or does not
  // answer in time (Hang); after that every call throws, and every process
  // is already gone.
  // An op outside supported_ops() throws UnsupportedOp naming it,
  // before anything is sent: it is bad input for this implementation.
  Outcome apply(const Op& op) override;
  // fork, write, read and exit: the ops real processes are driven through.
  OpSet supported_ops() const override { return kCoreOps; }
  std::optional<Snapshot> snapshot() const override { return std::nullopt; }

  // Whether writes report their faults (PFNs readable) or outcomes only.
  bool reads_pfns() const { return reads_pfns_; }
  // One line for people: the kernel and what this run can check.
  std::string describe() const;

  // The host process behind a live pid, for tests that break one on purpose.
  std::optional<pid_t> host_pid(Pid pid) const;

  // Experiments past the op vocabulary, until `pin` is an op (DESIGN.md).
  // A read-only pin of page `vpn` of `pid`: a reference to its frame held by
  // the oracle, which outlives the process. Returns the pin's id. Throws
  // std::invalid_argument for a dead pid or a bad vpn.
  int pin(Pid pid, Vpn vpn);
  // Word `word` of the pinned frame as the pin sees it now; drops the pin.
  Value unpin(int pin, std::uint32_t word = 0);

 private:
  struct Server {
    pid_t host = -1;  // our child until reaped; -1 once reaped
    int fd = -1;      // our end of its socket
  };

  void start_first(const Config& config);
  Outcome do_fork(Pid parent);
  Outcome do_write(Pid pid, const Op& op);
  Outcome do_read(Pid pid, const Op& op);
  Outcome do_exit(Pid pid);

  // One request and its answer, which must be of kind `want`.
  ReplyMsg call(Pid pid, const RequestMsg& request, Reply want, int pass_fd = -1);
  void send(Pid pid, const RequestMsg& request, int pass_fd);
  // An attached descriptor lands in `*passed_fd`, or is closed when null.
  ReplyMsg receive(Pid pid, Reply want, const char* waiting_for, int* passed_fd = nullptr);
  // Waits for a server whose socket closed; its wait status, or nullopt
  // when there is none to have (reaped already, or by the kernel).
  std::optional<int> reap(Server& server);

  [[noreturn]] void stop(ImplementationStopped::Kind kind, const std::string& what);
  void kill_all() noexcept;

  Config config_;
  LinuxOptions options_;
  pid_t oracle_ = 0;
  // Every server's process group (the first server's host pid): kill_all
  // reaches a server even when it died before we learned its pid.
  pid_t group_ = -1;
  std::map<Pid, Server> servers_;  // the live processes, by our pid
  std::map<int, int> pins_;        // pin id -> the pipe holding the page
  int next_pin_ = 1;
  Pid next_pid_ = kInitPid + 1;
  bool reads_pfns_ = false;
  std::string stopped_;  // why the last failure stopped everything, or empty
};

}  // namespace cow::linux_host
