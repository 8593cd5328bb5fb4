// Where two snapshots first differ, said in a reader's terms: which PTE or
// which frame, and what each side has there.
#pragma once

#include <optional>

#include "spec/invariants.h"
#include "spec/snapshot.h"

namespace cow {

// The first difference between the reference's snapshot `want` and the
// implementation's `got`, both canonical (spec canonicalize()), as a DIFF
// violation located at its PTE or frame; nullopt when they are equal.
std::optional<Violation> snapshot_difference(const Snapshot& want, const Snapshot& got);

}  // namespace cow
