// Replaying a .cow file: its ops on an implementation (its own unless one
// is named), with every invariant checked after every op; a DIFF file runs
// the implementation beside the model in lock step instead. Steps are
// handed to an observer as they run and only the latest state is held, so
// a long file costs what is shown of it, not every state at once.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "checker/cow_file.h"
#include "checker/harness.h"
#include "spec/invariants.h"
#include "spec/snapshot.h"

namespace cow {

struct ReplayedStep {
  std::size_t number = 0;  // from 1
  const Op* op = nullptr;
  // What the op returned; nullopt when the implementation stopped on it
  // (CRASH, HANG, OOM, EXIT) and so returned nothing.
  std::optional<Outcome> outcome;
  const Violation* violation = nullptr;  // set on the failing step, the last
  const Snapshot* after = nullptr;       // null for a black box, or one that stopped
};

class ReplayObserver {
 public:
  virtual ~ReplayObserver() = default;
  // Whether step() needs the states; a DIFF replay takes them only if so.
  virtual bool wants_states() const { return false; }
  // Before the first op: the state (null for a black box or one that could not start).
  virtual void started(const Snapshot* initial) { (void)initial; }
  virtual void step(const ReplayedStep& step) { (void)step; }
};

struct ReplayResult {
  std::size_t steps = 0;
  // The first violation. An implementation that dies before it answers
  // anything (while it is built or asked for its first state) is a finding
  // of its own kind at step 0, not bad input.
  std::optional<Violation> violation;
};

// Throws PluginLoadError for a plug-in that cannot be loaded at all and
// UnsupportedOp for an op `impl` has no entry point for (both bad input),
// std::invalid_argument when `impl` names no implementation.
ReplayResult replay_cow(const CowFile& file, const std::string& impl, ReplayObserver& observer);

// The same, recorded whole (every state when `keep_snapshots`): for tests
// and engines that want the steps after the run. Null when `impl` names no
// implementation. A step that stopped keeps a default outcome.
std::optional<Trace> replay_cow(const CowFile& file, const std::string& impl, bool keep_snapshots);

}  // namespace cow
