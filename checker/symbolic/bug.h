// Which implementation the symbolic encoding stands for: the reference model
// or one of its built-in mutants. A mutant is the model with one step
// overridden (model/mutants/mutant_table.h names the step), and the encoder
// has its switch in the method of that step (step_encoder.h).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "model/mutants/mutant_table.h"

namespace cow::symbolic {

using model::Mutant;
// The encoding's word for a built-in mutant: the table's own type, named as
// prove and its tests name it.
using Bug = Mutant;

// Every mutant the encoding has a switch for (a row with no `not_encoded`),
// in the table's order; None, the model, is not among them.
std::span<const Bug> all_bugs();

// The built-in mutants the encoding leaves out, and why: "mutant:NAME" ->
// the row's `not_encoded`, nullopt for any other name. explore and check
// find them.
std::optional<std::string_view> not_encoded(std::string_view impl);

// "mutant:child-table-memcpy" for ChildTableMemcpy, "model" for None.
std::string impl_of(Bug bug);

// The Bug for an implementation name; nullopt for one the encoding does not
// cover (a mutant it leaves out, a plug-in, the fast implementation, an
// unknown name).
std::optional<Bug> bug_of(std::string_view impl);

}  // namespace cow::symbolic
