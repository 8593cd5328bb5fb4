// The observation interface: how every engine drives a COW implementation,
// whether the model, the fast implementation, a mutant or a plug-in.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "spec/call.h"
#include "spec/op.h"
#include "spec/outcome.h"
#include "spec/snapshot.h"

namespace cow {

// Thrown by an implementation that stopped instead of answering an op: it
// crashed, hung, hit its memory limit or exited. The harness turns it into
// a finding of that kind; any other exception counts as a crash.
class ImplementationStopped : public std::runtime_error {
 public:
  enum class Kind { Crash, Hang, OutOfMemory, Exit };
  ImplementationStopped(Kind kind, const std::string& what)
      : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Thrown by apply() for an op the implementation does not have (an op kind
// outside supported_ops(), a mapping kind a plug-in lacks): the run asked
// for something this implementation cannot be judged on. Engines report it
// as bad input (exit 2), never as a finding.
class UnsupportedOp : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

class Implementation {
 public:
  virtual ~Implementation() = default;

  // Applies one op and reports what it returned. Never throws for an op it
  // supports, however invalid: bad input is an Outcome with an error status.
  virtual Outcome apply(const Op& op) = 0;

  // The current state, with the implementation's own frame numbers; nullopt
  // for a black-box implementation that is checked on outcomes only.
  virtual std::optional<Snapshot> snapshot() const = 0;

  // The op kinds it implements; engines generate only these, and apply()
  // throws UnsupportedOp for any other.
  virtual OpSet supported_ops() const { return kAllOps; }
  // The kinds mmap may map; engines generate only these, and apply()
  // throws UnsupportedOp for an mmap of any other.
  virtual MapSet supported_map_kinds() const { return kAllMaps; }

  // Runs the lanes at once, from the state the ops so far left, and
  // returns every call (in any order). Only an implementation that several
  // threads may drive has it; the rest answer one op at a time and throw
  // UnsupportedOp. Afterwards apply() goes on from the state the lanes left.
  virtual std::vector<Call> run_lanes(const Lanes& lanes) {
    (void)lanes;
    throw UnsupportedOp(
        "this implementation answers one op at a time; it cannot run lanes at once");
  }

  // An independent copy in the same state, for engines that branch (the
  // exhaustive search); nullptr when the implementation cannot be copied.
  virtual std::unique_ptr<Implementation> clone() const { return nullptr; }

  // Called before any op: this instance must depend on nothing earlier
  // instances did (a plug-in drops a worker process that served earlier
  // runs for a fresh one). Engines call it for the run that reports a
  // finding and for a replay, so that what they show replays from its file
  // alone. May throw ImplementationStopped, as a start may.
  virtual void isolate() {}
};

}  // namespace cow
