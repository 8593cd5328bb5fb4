// Pictures of a replay, in the manner of TLPI Figure 24-3: after each step,
// every process's page table with an arrow from each PTE to its frame, and
// every frame with its refcount and contents. Graphviz DOT, or SVG through
// the `dot` program.
#pragma once

#include "checker/race/race_program.h"

#include <optional>
#include <string>
#include <vector>

#include "spec/invariants.h"
#include "spec/snapshot.h"

namespace cow {

// Drawn as a replay runs: each state becomes its cluster when it is seen,
// so only the text of the picture is kept, not the states.
class ReplayPicture {
 public:
  // The state before the first op.
  void initial(const Snapshot& state);
  // `after` is null for a step the implementation stopped on; `failing`, when
  // set, draws the step in red with the violation.
  void step(std::size_t number, const std::string& op, const std::string& outcome,
            const Snapshot* after, const Violation* failing);
  // A race instead: one column per lane, one box per step, top to bottom
  // in the order the schedule took them.
  void lanes(const RaceProgram& program, const RaceTrace& trace);
  std::string dot() const;

 private:
  std::vector<std::string> clusters_;  // in step order, the initial state first
  std::string lanes_;                  // a race's drawing, when it is one
};

// Renders DOT to SVG with graphviz; throws std::runtime_error when `dot` is
// missing or fails.
std::string dot_to_svg(const std::string& dot);

}  // namespace cow
