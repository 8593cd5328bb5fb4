// The oracle reading a worker's answers: every value a plug-in returns
// (status, fault, process, PTE, frame, slot and pin fields, and every count;
// the view's in view_copy.h) is checked against the ABI and the configured
// machine before use. A value
// no plug-in may give is a CRASH finding naming the ABI entry point and the
// value (ReplySource::reject), never undefined behaviour in the oracle, and
// no count read from the worker allocates more than the machine allows.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "impl/plugin/reply_source.h"
#include "impl/plugin/wire.h"
#include "spec/op.h"
#include "spec/outcome.h"
#include "spec/snapshot.h"
#include "spec/types.h"

namespace cow::plugin {

// The outcome of `op` from its reply. The caller has handled
// COW_UNSUPPORTED; any other status or fault outside the ABI is rejected.
Outcome decode_outcome(const wire::Reply& reply, const Op& op, ReplySource& source);

// The oracle's copy of a white-box plug-in's view. The worker sends, after
// every op, only the PTEs and frames that changed since its last view; this
// copy applies each such delta after checking every value in it, so that the
// snapshot built from it is exactly the plug-in's current answers.
class ViewCopy {
 public:
  explicit ViewCopy(const Config& config) : config_(config) {}

  // Reads one view (a wire::ViewHeader and its records) and applies it.
  // `live` and `pins` are the pids and pin ids the oracle holds live, in
  // ascending order: the view must show exactly those. The first view after
  // clear() must hold every frame, and every view every page of an address
  // space it has not shown before. Anything else is rejected (a CRASH) and
  // leaves the copy as it was before.
  void read(ReplySource& source, std::span<const std::uint32_t> live,
            std::span<const std::uint32_t> pins);

  // Forgets everything: the next view is an instance's first.
  void clear();

  // The state the views so far add up to.
  const Snapshot& snapshot() const;

 private:
  Config config_;
  std::map<Pid, std::vector<wire::PteRecord>> tables_;  // by the pid that owns the space
  std::vector<wire::FrameRecord> frames_;               // empty before the first view
  std::vector<wire::ProcRecord> procs_;
  std::vector<wire::SlotRecord> slots_;
  std::vector<wire::PinRecord> pins_;
  std::uint32_t free_frames_ = 0;
  mutable std::optional<Snapshot> built_;  // of the views so far, once asked for
};

// The whole answer to a Reset or an instance's first view: a wire::Reply
// (status COW_OK) then a view, on a machine of `config` that holds `live`
// and `pins`. For tests and the wire fuzz target.
Snapshot read_snapshot(ReplySource& source, const Config& config,
                       std::span<const std::uint32_t> live, std::span<const std::uint32_t> pins);

}  // namespace cow::plugin
