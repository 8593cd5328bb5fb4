// What the state before an op says about the answers the semantics leaves
// open. An op may answer out-of-memory (or, under --oom kill, killed) only
// when it needs more frames than are free, and swapout may answer busy only
// for a pinned frame. Both are read off a snapshot of the state before the
// op, counted exactly as docs/mechanism.md says, so an implementation that
// gives up early, or keeps a stale pin, is caught by `check`, not only by
// `diff`.
#pragma once

#include <cstdint>

#include "spec/op.h"
#include "spec/semantics.h"
#include "spec/snapshot.h"

namespace cow {

// The frames `op` takes from the free list in the state `before`. `sem` is
// the semantics in the same state: it tells which object page a PTE that
// is not present would page in, and so whether a frame caches it already.
std::uint32_t frames_needed(const Op& op, const Snapshot& before, const Semantics& sem);

// The frame swapout of op's page finds pinned, if any.
bool swapout_finds_pinned(const Op& op, const Snapshot& before, const Semantics& sem);

}  // namespace cow
