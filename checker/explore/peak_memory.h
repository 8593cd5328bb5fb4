// The process's peak resident memory, for the engines' reports.
#pragma once

#include <cstdint>

namespace cow::explore {

// Bytes; 0 when the system does not say.
std::uint64_t peak_rss_bytes();

}  // namespace cow::explore
