// The fast implementation's variants by name, for the registry: the two fork
// modes and the seeded mutants.
#pragma once

#include <memory>
#include <span>
#include <string_view>

#include "impl/fast/fast_cow.h"

namespace cow::fast {

struct FastVariant {
  std::string_view name;  // as in --impl NAME
  std::string_view description;
  FastOptions options;
  bool is_mutant = false;
};

// "fast", "fast:shared-tables", then "fast-mutant:NAME" for each mutant.
std::span<const FastVariant> fast_variants();

std::unique_ptr<Implementation> make_fast(const Config& config, const FastOptions& options);

}  // namespace cow::fast
