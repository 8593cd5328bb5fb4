// The oracle's side of a worker process: start it with limits, exchange
// records with a deadline, and when it stops, say how (a crash, a hang, its
// memory limit, or a plug-in that called exit()).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "spec/types.h"

namespace cow::plugin {

struct WorkerLimits {
  std::chrono::milliseconds op_timeout{500};  // per request: longer is a HANG
  std::size_t memory_bytes = std::size_t{256} << 20;  // RLIMIT_AS of the worker
};

// The plug-in could not be loaded or refused the configuration: bad input,
// not a finding.
class PluginLoadError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class WorkerProcess {
 public:
  // Starts `worker` on `plugin_path` and waits for its hello. Throws
  // PluginLoadError when the plug-in is refused, ImplementationStopped when
  // the worker dies or hangs while creating the instance.
  WorkerProcess(const std::string& worker, const std::string& plugin_path, const Config& config,
                const WorkerLimits& limits);
  ~WorkerProcess();
  WorkerProcess(const WorkerProcess&) = delete;
  WorkerProcess& operator=(const WorkerProcess&) = delete;

  bool white_box() const { return white_box_; }
  // From the worker's hello: the plug-in's abi_version, wire::op_bit() of
  // each op it has an entry point for, and the mapping kinds its mmap takes.
  unsigned abi_version() const { return abi_version_; }
  std::uint32_t ops() const { return ops_; }
  std::uint32_t map_kinds() const { return map_kinds_; }

  // Both throw ImplementationStopped once the worker has stopped; receive
  // waits at most the op timeout from the last send.
  void send(const void* data, std::size_t size);
  void receive(void* data, std::size_t size);

 private:
  [[noreturn]] void stopped(const char* while_doing);
  [[noreturn]] void timed_out();
  void kill_and_reap();

  pid_t pid_ = -1;
  int request_fd_ = -1;
  int reply_fd_ = -1;
  bool white_box_ = false;
  unsigned abi_version_ = 0;
  std::uint32_t ops_ = 0;
  std::uint32_t map_kinds_ = 0;
  WorkerLimits limits_;
  std::string plugin_;
  std::chrono::steady_clock::time_point deadline_;
};

// cowcheck-worker beside the running executable, or $COWCHECK_WORKER.
std::string default_worker_path();

}  // namespace cow::plugin
