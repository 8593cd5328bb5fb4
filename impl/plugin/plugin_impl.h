// A plug-in (a shared library behind the C ABI in include/cowcheck/cow_abi.h)
// as an Implementation. The library runs in a worker process, never in the
// oracle; when the worker stops, apply() throws ImplementationStopped.
#pragma once

#include <memory>
#include <set>
#include <string>

#include "impl/plugin/worker_process.h"
#include "spec/implementation.h"

namespace cow::plugin {

class PluginImplementation : public Implementation {
 public:
  // Throws PluginLoadError when the library cannot be used at all.
  PluginImplementation(const std::string& library, const Config& config,
                       const WorkerLimits& limits = {},
                       const std::string& worker = default_worker_path());

  Outcome apply(const Op& op) override;
  // nullopt for a black-box plug-in (no pte/frame/free_frames entry points).
  std::optional<Snapshot> snapshot() const override;

 private:
  void track(const Op& op, const Outcome& outcome);

  Config config_;
  // The worker is I/O, not state of ours: a snapshot talks to it too.
  mutable WorkerProcess worker_;
  std::set<Pid> live_ = {kInitPid};  // from the outcomes, to ask for their PTEs
};

}  // namespace cow::plugin
