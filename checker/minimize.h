// A last, concrete shrinking pass after RapidCheck's: drop single ops while
// the sequence still breaks the same invariant, until none can go.
#pragma once

#include <vector>

#include "checker/finding.h"
#include "spec/invariants.h"

namespace cow {

// `ops` must break `id` when run on a fresh implementation from `make`; the
// result does too, is no longer, and ends at the failing op.
// When breaking `id` is costly to re-run (a HANG, an OOM), at most
// `costly_runs` failing candidates are re-run; `skipped` counts the
// candidates that were not.
// With `costly`, every failing re-run counts against the budget.
std::vector<Op> minimize_ops(const ImplFactory& make, const Config& config, std::vector<Op> ops,
                             InvariantId id, int costly_runs = 8, int* skipped = nullptr,
                             bool costly = false);

}  // namespace cow
