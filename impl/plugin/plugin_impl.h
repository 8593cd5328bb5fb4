// A plug-in (a shared library behind the C ABI in include/cowcheck/cow_abi.h)
// as an Implementation. The library runs in a worker process, never in the
// oracle; when the worker stops, apply() throws ImplementationStopped.
//
// A worker outlives its instance: when a PluginImplementation ends, its
// worker goes to a pool, and the next one of the same plug-in, machine and
// limits takes it and starts its run with destroy() + create() in it
// instead of a new process. A worker that stopped is never reused, nor one
// whose plug-in refused or failed the second create(), left processes it
// forked alive, or showed a first view that differs from a fresh worker's
// (state kept across destroy()): that plug-in then gets a new worker per
// run, as before.
#pragma once

#include <memory>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "impl/plugin/reply_decode.h"
#include "impl/plugin/worker_process.h"
#include "spec/implementation.h"

namespace cow::plugin {

// An op the plug-in has no entry point for (or that it answered
// COW_UNSUPPORTED): bad input for this plug-in, not a finding. The message
// names the op and the missing entry point. The harness lets spec's
// UnsupportedOp through rather than calling it a CRASH, and the command
// line reports it with exit status 2.
class UnsupportedOp : public cow::UnsupportedOp {
 public:
  using cow::UnsupportedOp::UnsupportedOp;
};

class PluginImplementation : public Implementation {
 public:
  // Throws PluginLoadError when the library cannot be used at all.
  PluginImplementation(const std::string& library, const Config& config,
                       const WorkerLimits& limits = {},
                       const std::string& worker = default_worker_path());
  // Hands the worker to the pool (a reset already on its way) when it can
  // serve another run.
  ~PluginImplementation() override;
  PluginImplementation(const PluginImplementation&) = delete;
  PluginImplementation& operator=(const PluginImplementation&) = delete;

  // Replaces a worker that served earlier runs with a fresh one (the run
  // that reports a finding, and a replay, depend on nothing earlier runs
  // left behind); nothing when this instance is its worker's first.
  void isolate() override;
  // Whether this instance is the first its worker created (a fresh worker).
  bool first_in_worker() const { return first_instance_; }

  // Throws UnsupportedOp for an op the plug-in does not provide (see
  // supports()), without sending it: nothing changes.
  Outcome apply(const Op& op) override;
  // nullopt for a black-box plug-in (no pte/frame/free_frames entry points).
  std::optional<Snapshot> snapshot() const override;

  // Whether the plug-in has the entry point for this kind of op. fork,
  // write, read and exit always; the others from ABI version 2 on.
  bool supports(OpKind kind) const;
  // Whether its mmap takes this mapping kind (false for MapKind::None).
  bool supports(MapKind kind) const;
  // Whether it can run this op: supports(op.kind), and for mmap supports(op.map).
  bool supports(const Op& op) const;
  // The op kinds it has entry points for: engines generate only these.
  OpSet supported_ops() const override;
  // The mapping kinds its mmap takes, in the spec's order (empty without mmap).
  MapSet supported_map_kinds() const override;
  // Why it cannot run `ops` ("plug-in X has no mmap entry point (ABI
  // version 2), needed by: mmap 1 0 2 private-anon"), naming every missing
  // entry point once, or empty when it can run them all.
  std::string missing_for(std::span<const Op> ops) const;
  // The same for op kinds alone (a generator's vocabulary).
  std::string missing_for(std::span<const OpKind> kinds) const;

  unsigned abi_version() const { return abi_version_; }
  const std::string& library() const { return library_; }

 private:
  void start_fresh();
  bool take_from_pool();
  // Reads the view that follows a reply, for the pids and pins now live.
  void read_view();
  Outcome send_op(const Op& op);
  Outcome rerun_in_fresh_worker(const Op& op, const ImplementationStopped& stop);
  void track(const Op& op, const Outcome& outcome);

  std::string library_;
  Config config_;
  WorkerLimits limits_;
  std::string worker_path_;
  std::string pool_key_;
  std::unique_ptr<WorkerProcess> worker_;  // null once a fresh one could not start
  bool white_box_ = false;
  unsigned abi_version_ = 0;
  std::uint32_t ops_ = 0;        // wire::op_bit() of each op it has
  std::uint32_t map_kinds_ = 0;  // 1 << cow_map_kind of each kind its mmap takes
  ViewCopy view_;
  bool first_instance_ = true;               // the first instance its worker created
  bool sent_ops_ = false;                    // an op went to this instance
  std::set<Pid> live_ = {kInitPid};          // from the outcomes, as the worker follows them
  std::set<PinId> pins_;                     // held, from the outcomes
  std::vector<std::pair<Op, Outcome>> ran_;  // this instance's ops and their answers
};

// Ends every idle worker in the pool now (a benchmark counting their CPU
// time, a test counting processes). Safe to call at any time.
void release_idle_workers();

}  // namespace cow::plugin
