// What makes two findings one bug, for `check --keep-going`. Runs that hit
// the same bug minimize to sequences that differ in how they reach it (a
// writer becomes a frame's sole owner after its sibling wrote, exited or
// exec'd) and where (which pid, vpn, value), but agree on what the bug does
// at the op that breaks: the key is exactly that.
//
//   "REUSE at write (ok, cow-copy), on the op's own process"
//
// - the invariant, so a copy that loses data (ISO) and one that leaks a
//   frame (RC) stay apart even on the same op;
// - the failing op's kind, with what changes its path through the
//   mechanism (an mmap's kind, a pin's rw): a write fault and copyout are
//   different code in a kernel (xv6's usertrap and copyout), so a bug in
//   each is two bugs;
// - what that op returned, its status and fault (none, cow-copy, swap-in,
//   ...): the path the implementation took, so a bug of swap-in and a bug
//   of the COW copy, both seen at a read, stay apart; a stop (CRASH, HANG)
//   returned nothing;
// - the process the violation names, relative to the failing op: its own
//   (the writer that copied instead of reusing), another (the child a fork
//   left writable: mutant:child-left-writable, against the parent in
//   mutant:parent-left-writable), or none (about a frame, not a process).
//
// The ops before the failing one are left out: they are one route among
// many to the state the bug needs, and keying on them reported one bug once
// per route. The price: two bugs that break one invariant at the same kind
// of op, the same way, on the same process are merged (the table's "runs"
// column counts both); the first found is the one shown.
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
