// The random engine: RapidCheck generates op sequences, every invariant is
// checked after every op, and a failure is shrunk to a minimal sequence.
#pragma once

#include "checker/campaign.h"
#include "checker/finding.h"

namespace cow {

// Fresh steppers that run one implementation from `make` beside the
// semantics, every invariant after every op.
StepperFactory harness_steppers(const ImplFactory& make, const Config& config);

CheckResult check_random(const ImplFactory& make, const CheckOptions& options);

}  // namespace cow
