// The observation interface: how every engine drives a COW implementation,
// whether the model, the fast implementation, a mutant or a plug-in.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "spec/op.h"
#include "spec/outcome.h"
#include "spec/snapshot.h"

namespace cow {

class Implementation {
 public:
  virtual ~Implementation() = default;

  // Applies one op and reports what it returned. Never throws for any op,
  // however invalid: bad input is an Outcome with an error status.
  virtual Outcome apply(const Op& op) = 0;

  // The current state, with the implementation's own frame numbers; nullopt
  // for a black-box implementation that is checked on outcomes only.
  virtual std::optional<Snapshot> snapshot() const = 0;

  // An independent copy in the same state, for engines that branch (the
  // exhaustive search); nullptr when the implementation cannot be copied.
  virtual std::unique_ptr<Implementation> clone() const { return nullptr; }
};

}  // namespace cow
