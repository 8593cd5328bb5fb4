// `cowcheck check --impl linux`: the live kernel (impl/linux) with the model
// in lock step. The harness checks what the host's reads return (ISO); this
// wrapper adds what it cannot see in a black box, how each write fault was
// served, and reports a fault kind that differs from the model's as REUSE.
// Only when the host's PFNs are readable: otherwise it is the bare host.
#pragma once

#include <optional>
#include <string>

#include "checker/step_audit.h"
#include "impl/linux/linux_cow.h"
#include "model/cow_model.h"
#include "spec/implementation.h"

namespace cow {

class LinuxChecked final : public Implementation, public StepAudit {
 public:
  explicit LinuxChecked(const Config& config, const linux_host::LinuxOptions& options = {});

  // The host's outcome; the model's is kept for audit_last_step().
  Outcome apply(const Op& op) override;
  // A black box still: the model's state is not the host's.
  std::optional<Snapshot> snapshot() const override { return std::nullopt; }
  OpSet supported_ops() const override { return host_.supported_ops(); }
  MapSet supported_map_kinds() const override { return host_.supported_map_kinds(); }
  std::optional<Violation> audit_last_step() const override { return finding_; }

  // The host alone, for experiments past the op vocabulary (pins).
  linux_host::LinuxCow& host() { return host_; }
  const linux_host::LinuxCow& host() const { return host_; }

 private:
  linux_host::LinuxCow host_;
  model::CowModel model_;
  bool model_in_step_ = true;  // false once the model ran out of frames
  std::optional<Violation> finding_;
};

}  // namespace cow
