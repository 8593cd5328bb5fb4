// The oracle reading a worker's answers: every value a plug-in returns
// (status, fault, process, PTE, frame, slot and pin fields, and every count)
// is checked against the ABI and the configured machine before use. A value
// no plug-in may give is a CRASH finding naming the ABI entry point and the
// value (ReplySource::reject), never undefined behaviour in the oracle, and
// no count read from the worker allocates more than the machine allows.
#pragma once

#include <cstdint>
#include <span>

#include "impl/plugin/reply_source.h"
#include "impl/plugin/wire.h"
#include "spec/op.h"
#include "spec/outcome.h"
#include "spec/snapshot.h"

namespace cow::plugin {

// The outcome of `op` from its reply. The caller has handled
// COW_UNSUPPORTED; any other status or fault outside the ABI is rejected.
Outcome decode_outcome(const wire::Reply& reply, const Op& op, ReplySource& source);

// Reads the answer to a snapshot request that asked for `live` pids and
// `pins` ids, in that order, on a machine of `config`.
Snapshot read_snapshot(ReplySource& source, const Config& config,
                       std::span<const std::uint32_t> live, std::span<const std::uint32_t> pins);

}  // namespace cow::plugin
