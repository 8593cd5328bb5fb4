// Replaying a .cow file: its ops on an implementation, with every
// invariant checked after every op; a DIFF file runs
// the implementation beside the model in lock step instead. Steps are
// handed to an observer as they run and only the latest state is held, so
// a long file costs what is shown of it, not every state at once.
#pragma once

#include <cstddef>
#include <exception>
#include <memory>
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

// Replays `file` on `impl`, built already (the application names and builds
// it: app/replay_by_name.h); a DIFF file with the model beside it. Throws
// UnsupportedOp for an op `impl` has no entry point for (bad input).
ReplayResult replay_on(const CowFile& file, std::unique_ptr<Implementation> impl,
                       ReplayObserver& observer);

// The replay of an implementation that loaded, then died before it answered
// (`stop` is what its building threw): a finding at step 0, not bad input.
ReplayResult replay_unstarted(const std::exception& stop, ReplayObserver& observer);

// Keeps every step of a replay (and every state when `keep_snapshots`) in
// `trace`, for tests and engines that want the steps after the run. A step
// that stopped keeps a default outcome.
class TraceRecorder : public ReplayObserver {
 public:
  TraceRecorder(Trace& trace, bool keep_snapshots) : trace_(trace), keep_(keep_snapshots) {}
  bool wants_states() const override { return keep_; }
  void started(const Snapshot* initial) override;
  void step(const ReplayedStep& s) override;

 private:
  Trace& trace_;
  bool keep_;
};

}  // namespace cow
