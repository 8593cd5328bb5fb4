// An xv6 copy-on-write lab as an Implementation: the lab built into a
// plug-in (lab_build.h) and run in a worker like any plug-in, with the
// kernel's panic message added to a CRASH.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "impl/plugin/plugin_impl.h"
#include "impl/xv6/lab_tree.h"
#include "spec/implementation.h"

namespace cow::xv6 {

class Xv6Implementation : public Implementation {
 public:
  // Builds the lab at `root` (once per process and per machine size) and
  // starts it. Throws LabError when it cannot be built or loaded.
  Xv6Implementation(const std::string& root, const Config& config,
                    const plugin::WorkerLimits& limits, const LabOptions& options);

  Outcome apply(const Op& op) override;
  std::optional<Snapshot> snapshot() const override;
  OpSet supported_ops() const override { return plugin_->supported_ops(); }
  MapSet supported_map_kinds() const override { return plugin_->supported_map_kinds(); }
  void isolate() override { plugin_->isolate(); }

 private:
  // A CRASH of a kernel that panicked says what the panic said.
  [[noreturn]] void rethrow_with_panic(const ImplementationStopped& stop) const;

  std::filesystem::path library_;
  std::unique_ptr<plugin::PluginImplementation> plugin_;
};

// The lab's library for this machine, built on first use in this process.
std::filesystem::path lab_library(const std::string& root, const Config& config,
                                  const LabOptions& options);

// What cowcheck found in the lab at `root` (its COW bit, its refcount), one
// line each, for the user.
std::vector<std::string> lab_findings(const std::string& root, const LabOptions& options);

}  // namespace cow::xv6
