// Generated op sequences for the random engine. An op names its process
// relative to the live ones ("the youngest", "the one before it") and its
// pin relative to the pins held, not by pid or id, so that every shrink of
// a sequence is still a meaningful sequence.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include <rapidcheck.h>

#include "spec/op.h"
#include "spec/semantics.h"

namespace cow {

// GenOp::vpn for the page just past the space.
inline constexpr std::uint8_t kVpnPastEnd = 255;

struct GenOp {
  OpKind kind = OpKind::Fork;
  std::uint8_t who = 0;  // 0: the youngest live process (or newest pin), 1: the one before, ...
  std::uint8_t vpn = 0;
  // The other arguments in one draw, since each draw costs and most ops use
  // few of them; 0 (where shrinking goes) is value 1, word 0, and the least
  // of the rest: value = 1 + args % 7, word = args / 7 % 4, and aux = args /
  // 28 gives mmap/munmap's count (1 + aux % 2), mmap's kind (aux / 2 % 5)
  // and pin's mode (rw when aux >= 10).
  std::uint16_t args = 0;
};

// The concrete op `g` stands for in the state `sem`; nullopt to skip it: the
// last live process never exits, so a sequence never ends early with
// nothing left to check (properties_test covers exiting everything).
// An mmap maps one of `maps` (nullopt when it holds none).
std::optional<Op> resolve(const GenOp& g, const Semantics& sem, MapSet maps = kAllMaps);

// Biased toward what breaks COW: forks of the youngest process (deep chains),
// exits of older ones (orphans left as sole owners), writes to the few low
// pages that forks have shared, and pins of them. Only kinds in `ops`.
// With `bad_addresses`, one vpn in 16 is kVpnPastEnd.
rc::Gen<GenOp> gen_op(const Config& config, OpSet ops = kAllOps, bool bad_addresses = false);
// Lengths up to twice the RapidCheck size, so most sequences of a campaign
// are long; callers stop at their own max_ops.
rc::Gen<std::vector<GenOp>> gen_ops(const Config& config, OpSet ops = kAllOps,
                                    bool bad_addresses = false);

}  // namespace cow
