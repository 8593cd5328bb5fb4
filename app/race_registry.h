// The stepped models `cowcheck race` interleaves, by name: "model" (the
// reference model as steps) and "race-mutant:NAME" for each race mutant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "app/registry.h"
#include "checker/race/race_program.h"

namespace cow {

// In the order `cowcheck impls` lists them.
const std::vector<ImplInfo>& stepped_models();

// Null when no stepped model has that name.
SteppedFactory stepped_factory(std::string_view name, const Config& config);

// "race-mutant:*"-style patterns expanded; unknown names come back as they are.
std::vector<std::string> expand_stepped_names(const std::vector<std::string>& patterns);

}  // namespace cow
