// Mutants whose bug is in fork.
#pragma once

#include <memory>

#include "spec/implementation.h"

namespace cow::model {

std::unique_ptr<Implementation> make_child_table_memcpy(const Config& config);
std::unique_ptr<Implementation> make_parent_left_writable(const Config& config);
std::unique_ptr<Implementation> make_child_left_writable(const Config& config);
std::unique_ptr<Implementation> make_fork_no_refcount(const Config& config);
std::unique_ptr<Implementation> make_fork_drops_cow_bit(const Config& config);

}  // namespace cow::model
