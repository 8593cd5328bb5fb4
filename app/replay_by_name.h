// Replaying a .cow file on an implementation named as the registry names
// them (app/registry.h): the name is built here, then the engine replays
// it (checker/replay.h).
#pragma once

#include <optional>
#include <string>

#include "checker/cow_file.h"
#include "checker/harness.h"
#include "checker/replay.h"

namespace cow {

// Throws PluginLoadError for a plug-in that cannot be loaded at all and
// UnsupportedOp for an op `impl` has no entry point for (both bad input),
// std::invalid_argument when `impl` names no implementation.
ReplayResult replay_cow(const CowFile& file, const std::string& impl, ReplayObserver& observer);

// The same, recorded whole (every state when `keep_snapshots`). Null when
// `impl` names no implementation.
std::optional<Trace> replay_cow(const CowFile& file, const std::string& impl, bool keep_snapshots);

}  // namespace cow
