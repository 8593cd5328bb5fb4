// The individual invariant checks behind invariant_table(). Each takes one
// step and returns its first violation, located as precisely as it can.
#pragma once

#include <optional>

#include "spec/invariants.h"

namespace cow {

std::optional<Violation> check_iso(const Step& step);
std::optional<Violation> check_wp(const Step& step);
std::optional<Violation> check_reuse(const Step& step);
std::optional<Violation> check_rc(const Step& step);
// Part of RC: out-of-memory, killed and busy only when the state before says why.
std::optional<Violation> check_choice(const Step& step);

}  // namespace cow
