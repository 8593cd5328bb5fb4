// The built-in mutants: the reference model with one realistic bug each,
// named after the bug. They exist to show that the invariants catch bugs
// nobody wrote them for; no test or property names one.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "spec/implementation.h"
#include "spec/types.h"

namespace cow::model {

struct MutantInfo {
  std::string_view name;  // as in --impl mutant:NAME
  std::string_view bug;   // one line: what is wrong
  std::unique_ptr<Implementation> (*make)(const Config& config);
};

std::span<const MutantInfo> builtin_mutants();

}  // namespace cow::model
