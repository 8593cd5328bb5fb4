// Replaying a .cow file: its ops on an implementation (its own unless one
// is named), with every invariant checked after every op; a DIFF file runs
// the implementation beside the model in lock step instead.
#pragma once

#include <string>

#include "checker/cow_file.h"
#include "checker/harness.h"

namespace cow {

// Null when `impl` names no implementation.
std::optional<Trace> replay_cow(const CowFile& file, const std::string& impl, bool keep_snapshots);

}  // namespace cow
