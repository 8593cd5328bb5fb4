// Mutants whose bug is in exit.
#pragma once

#include <memory>

#include "spec/implementation.h"

namespace cow::model {

std::unique_ptr<Implementation> make_exit_leaks(const Config& config);

}  // namespace cow::model
