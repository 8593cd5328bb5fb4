// `cowcheck check --impl linux`: the live kernel (impl/linux) with the model
// in lock step. The harness checks what the host's reads return (ISO); this
// wrapper adds what it cannot see in a black box, how each write fault was
// served, and reports a fault kind that differs from the model's as REUSE.
// Only when the host's PFNs are readable: otherwise it is the bare host.
// Under linux:thp the host decides per huge page where the model decides
// per 4 KiB page; the two differences that follow from it are accepted only
// with their reason, from what the host reported (docs/linux.md,
// "Transparent huge pages"): a page made writable with its whole huge page
// by an earlier write (checked then against the model); under --reuse
// optional, a copy where the model reuses, and a fork that copies every
// page of a pinned huge page (after which faults are no longer compared).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

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
  // The host's lanes (LinuxCow::run_lanes). The model cannot follow a
  // concurrent run (it has no order to take), so from then on faults are
  // no longer compared; outcomes are the caller's to check (linearizable).
  std::vector<Call> run_lanes(const Lanes& lanes) override;
  // Why the last step's fault differs from the model's and is still no
  // finding, or empty.
  const std::string& last_allowance() const { return allowance_; }

  // The host alone, for experiments past the op vocabulary (pins).
  linux_host::LinuxCow& host() { return host_; }
  const linux_host::LinuxCow& host() const { return host_; }

 private:
  linux_host::LinuxCow host_;
  model::CowModel model_;
  bool model_in_step_ = true;  // false once the model ran out of frames
  std::optional<Violation> finding_;
  std::string allowance_;
  ReuseRule reuse_;

  // linux:thp: the pins that hold a page of a huge page, by the address
  // space (the pid whose page table it is) that pinned it.
  std::map<PinId, Pid> thp_pins_;
  // False once the host's sharing left the model's (judge_fork).
  bool faults_in_step_ = true;

  void judge_fault(const Op& op, Fault host, Fault model);
  void check_reused_with_thp(const Op& op);
  void track_thp(const Op& op, const Outcome& got);
  void judge_fork(const Op& op, const Outcome& got);
  Pid space_of(Pid pid) const;
  std::vector<Pid> pids_in_space(Pid space) const;
  void rename_pinned_space(Pid leaver, Pid old_name, const std::vector<Pid>& sharers);
};

}  // namespace cow
