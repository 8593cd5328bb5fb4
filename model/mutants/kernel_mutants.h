// Mutants whose bug is in a path beyond fork and the write fault: the
// kernel's copyout, swapout's reverse map, fork of pinned pages, the page
// allocator and unpin.
#pragma once

#include <memory>

#include "spec/implementation.h"

namespace cow::model {

std::unique_ptr<Implementation> make_copyout_no_cow(const Config& config);
std::unique_ptr<Implementation> make_swapout_one_pte(const Config& config);
std::unique_ptr<Implementation> make_fork_shares_pinned(const Config& config);
std::unique_ptr<Implementation> make_alloc_keeps_reserve(const Config& config);
std::unique_ptr<Implementation> make_unpin_keeps_pincount(const Config& config);

}  // namespace cow::model
