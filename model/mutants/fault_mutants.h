// Mutants whose bug is in the write-fault path: the reuse decision, reuse
// itself, or the copy.
#pragma once

#include <memory>

#include "spec/implementation.h"

namespace cow::model {

std::unique_ptr<Implementation> make_copy_always(const Config& config);
std::unique_ptr<Implementation> make_reuse_shared(const Config& config);
std::unique_ptr<Implementation> make_reuse_keeps_cow(const Config& config);
std::unique_ptr<Implementation> make_reuse_stays_readonly(const Config& config);
std::unique_ptr<Implementation> make_copy_keeps_old_ref(const Config& config);
std::unique_ptr<Implementation> make_copy_no_contents(const Config& config);

}  // namespace cow::model
