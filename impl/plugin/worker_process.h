// The oracle's side of a worker process: start it with limits in its own
// process group, exchange records, and when it stops, say how (a crash, a
// hang, its memory limit, or a plug-in that called exit()). No verdict here
// reads a wall clock alone: a hang is CPU time spent without progress, an
// OOM is memory that grew to the limit.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "impl/plugin/reply_source.h"
#include "impl/plugin/wire.h"
#include "spec/types.h"

namespace cow::plugin {

struct WorkerLimits {
  // CPU time the worker may spend on one request without progress (a call
  // into the plug-in returning, or its memory growing): longer is a HANG.
  std::chrono::milliseconds op_timeout{500};
  std::size_t memory_bytes = std::size_t{256} << 20;  // RLIMIT_AS of the worker
  // The backstop for a worker that uses no CPU at all (asleep, blocked): this
  // long in wall time without any progress is a HANG too.
  std::chrono::milliseconds blocked_timeout{std::chrono::minutes(2)};
};

// CPU time the worker may spend loading the plug-in and creating the
// instance, beyond the op timeout.
inline constexpr std::chrono::milliseconds kStartAllowance{1000};

// The plug-in could not be loaded or refused the configuration: bad input,
// not a finding.
class PluginLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class WorkerProcess : public ReplySource {
 public:
  // Starts `worker` on `plugin_path` and waits for its hello. Throws
  // PluginLoadError when the plug-in is refused, ImplementationStopped when
  // the worker dies or hangs while loading it or creating the instance.
  WorkerProcess(const std::string& worker, const std::string& plugin_path, const Config& config,
                const WorkerLimits& limits);
  ~WorkerProcess() override;
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  bool white_box() const { return white_box_; }
  // From the worker's hello: the plug-in's abi_version, wire::op_bit() of
  // each op it has an entry point for, and the mapping kinds its mmap takes.
  unsigned abi_version() const { return abi_version_; }
  std::uint32_t ops() const { return ops_; }
  std::uint32_t map_kinds() const { return map_kinds_; }

  // What the worker is asked to do next, for the message of a stop
  // ("answering 'fork 1'"), and what it does once it reads the view after
  // it ("showing its state after 'fork 1'"; the worker says when, in
  // wire::Progress).
  void set_activity(std::string activity, std::string viewing = "") {
    activity_ = std::move(activity);
    viewing_ = std::move(viewing);
  }

  // Both throw ImplementationStopped once the worker has stopped. receive
  // waits while the worker makes progress (see WorkerLimits), reading
  // whatever the worker has written so far into a buffer of its own.
  void send(const void* data, std::size_t size);
  void receive(void* data, std::size_t size) override;
  // A request sent earlier (a reset sent at the end of the last run) is
  // answered from now on: waiting for it gets `cpu_budget` of CPU time
  // without progress, counted from now.
  void start_waiting(std::chrono::milliseconds cpu_budget);
  bool alive() const { return pid_ > 0; }
  // Kills the worker for an answer no plug-in may give: a CRASH naming it.
  [[noreturn]] void reject(const std::string& what) override;

 private:
  [[noreturn]] void stopped();
  const std::string& activity() const;
  // The marks of a new request: only the cheap ones now; the CPU time and
  // memory at the first look (judge_progress), so that an answer that comes
  // at once costs no reading of /proc.
  void new_marks(std::chrono::milliseconds cpu_budget);
  [[noreturn]] void hang(const std::string& why);
  // Between polls: throws when the worker is stuck; resets the marks when it
  // made progress.
  void judge_progress(std::chrono::milliseconds cpu_budget);
  void kill_and_reap();

  pid_t pid_ = -1;
  int pidfd_ = -1;  // readable once the worker itself has ended
  int request_fd_ = -1;
  int reply_fd_ = -1;
  wire::Progress* progress_ = nullptr;
  bool spin_ = false;                  // wait for an answer spinning first (wire::kSpin)
  bool spun_ = false;                  // for the request now answered
  std::uint32_t replies_at_send_ = 0;  // Progress::replies when it was sent
  bool white_box_ = false;
  unsigned abi_version_ = 0;
  std::uint32_t ops_ = 0;
  std::uint32_t map_kinds_ = 0;
  WorkerLimits limits_;
  std::string plugin_;
  std::string activity_ = "loading the plug-in and running create()";
  std::string viewing_;
  std::vector<char> buffer_;  // read from the reply pipe; [at, end) not yet received
  std::size_t buffered_at_ = 0;
  std::size_t buffered_end_ = 0;
  std::chrono::milliseconds budget_;  // of CPU without progress, for this request

  // The worker's state when it last made progress.
  struct Mark {
    std::uint32_t calls = 0;
    std::chrono::nanoseconds cpu{0};
    std::size_t memory = 0;  // the largest address space seen
    std::chrono::steady_clock::time_point wall;
    bool measured = false;  // cpu and memory taken since the request
  } mark_;
};

// cowcheck-worker beside the running executable, or $COWCHECK_WORKER.
std::string default_worker_path();

// Worker processes started so far by this process (tests and the benchmark
// count them).
std::uint64_t workers_started();

// Kills every worker's process group now (async-signal-safe). cowcheck's
// SIGINT/SIGTERM handler and exit path call it; exposed for tests.
void kill_all_workers();

}  // namespace cow::plugin
