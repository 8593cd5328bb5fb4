// The random engine: RapidCheck generates op sequences, every invariant is
// checked after every op, and a failure is shrunk to a minimal sequence.
#pragma once

#include "checker/finding.h"

namespace cow {

CheckResult check_random(const ImplFactory& make, const CheckOptions& options);

}  // namespace cow
