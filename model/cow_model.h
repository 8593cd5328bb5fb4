// The reference model: the textbook COW fork, written to be obviously right.
// fork shares every frame and write-protects both sides; a write fault
// reuses a frame its writer owns alone and copies one that is shared.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "model/frame_table.h"
#include "model/pte.h"
#include "spec/implementation.h"
#include "spec/types.h"

namespace cow::model {

struct Process {
  std::vector<Pte> page_table;  // indexed by vpn
};

class CowModel : public Implementation {
 public:
  explicit CowModel(const Config& config);

  Outcome apply(const Op& op) override;
  std::optional<Snapshot> snapshot() const override;
  std::unique_ptr<Implementation> clone() const override;

 protected:
  // The steps of fork, fault and exit, one virtual each, so a mutant is this
  // model with exactly one of them wrong.

  // fork, per page: the child's PTE from the parent's, both made COW.
  virtual void fork_share_page(Pte& parent, Pte& child);
  // The reuse policy, a pure predicate: may the writer keep `frame`?
  virtual bool can_reuse_frame(Pfn frame) const;
  // Write fault, sole owner: keep the frame, make the PTE writable.
  virtual void wp_reuse(Pte& pte);
  // Write fault, shared frame: move the writer to a private copy. False
  // when no frame is free, with nothing changed.
  virtual bool wp_copy(Pte& pte);
  // exit, per page: drop the page's reference.
  virtual void exit_drop_page(Pte& pte);

  FrameTable& frames() { return frames_; }
  const FrameTable& frames() const { return frames_; }

 private:
  Outcome do_fork(Process& parent);
  bool valid_address(const Op& op) const;
  Outcome do_write(Pte& pte, std::uint32_t word, Value value);
  Outcome do_exit(Pid pid);

  Config config_;
  FrameTable frames_;
  std::map<Pid, Process> processes_;
  Pid next_pid_ = kInitPid + 1;
};

}  // namespace cow::model
