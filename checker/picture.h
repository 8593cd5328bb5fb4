// Pictures of a replay, in the manner of TLPI Figure 24-3: after each step,
// every process's page table with an arrow from each PTE to its frame, and
// every frame with its refcount and contents. Graphviz DOT, or SVG through
// the `dot` program.
#pragma once

#include <optional>
#include <string>

#include "checker/harness.h"

namespace cow {

// `initial` is the state before the first op (nullopt for a black box,
// which has no picture to draw). The failing step, if any, is drawn in red.
std::string trace_to_dot(const std::optional<Snapshot>& initial, const Trace& trace);

// Renders DOT to SVG with graphviz; throws std::runtime_error when `dot` is
// missing or fails.
std::string dot_to_svg(const std::string& dot);

}  // namespace cow
