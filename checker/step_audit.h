// An implementation that checks itself while it runs, for what the
// invariants cannot see from outside: `linux` is a black box to them, so it
// runs the model in lock step and compares how each write fault was served
// (app/linux_check.h). The harness asks after every step that passed the
// invariants.
#pragma once

#include <optional>

#include "spec/invariants.h"

namespace cow {

class StepAudit {
 public:
  virtual ~StepAudit() = default;
  // What the last apply() broke that the invariants cannot see, or nullopt.
  virtual std::optional<Violation> audit_last_step() const = 0;
};

}  // namespace cow
