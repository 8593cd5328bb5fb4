// What makes two findings one bug, for `check --keep-going`. Runs that hit
// the same bug minimize to sequences that differ in how they reach it (a
// writer becomes a frame's sole owner after its sibling wrote, exited or
// exec'd) and where (which pid, vpn, value), but agree on what the bug does
// at the op that breaks: the key is exactly that.
//
//   "REUSE at write (ok, cow-copy)"
//
// - the invariant, so a copy that loses data (ISO) and one that leaks a
//   frame (RC) stay apart even on the same op;
// - the failing op's step in the mechanism: its kind, except that exit,
//   exec, munmap and mmap are one step (each drops pages the same way), and
//   a pin's rw counts (it takes the write fault path). A write fault and
//   copyout are different code in a kernel (xv6's usertrap and copyout), so
//   a bug in each is two bugs;
// - what that op returned, its status and fault (none, cow-copy, swap-in,
//   ...): the path the implementation took, so a bug of swap-in and a bug
//   of the COW copy, both seen at a read, stay apart; a stop (CRASH, HANG)
//   returned nothing.
//
// Left out: the ops before the failing one, which are one route among many
// to the state the bug needs (keying on them reported copy-always once per
// route: 17 "bugs" in 300 runs), and the pids, vpns and values, which are
// where the bug was met. Which process the violation names was tried too,
// and left out: one bug names either side of a fork depending on the route.
// The price: two bugs that break one invariant at the same step with the
// same answer are merged (the table's "runs" column counts both, the first
// found is shown): mutant:parent-left-writable and child-left-writable
// would be one bug in one kernel.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "spec/invariants.h"
#include "spec/op.h"
#include "spec/outcome.h"

namespace cow {

// The key of a failing sequence `ops` (it ends at the failing op), what its
// last op returned (nothing when the implementation stopped) and the
// violation it shows.
std::string bug_key(const std::vector<Op>& ops, const std::optional<Outcome>& last,
                    const Violation& violation);

}  // namespace cow
