// The first form of the fault report: a user store to a private anonymous
// page. Kept for the checker's
// tests that build reports by hand (tests/impl/linux/linux_check_test.cpp);
// everything else uses impl/linux/access_fault.h.
#pragma once

#include <cstdint>

#include "impl/linux/access_fault.h"

namespace cow::linux_host {

struct WriteReport {
  bool maybe_write_protected = false;  // no store to the page since the last fork
  std::uint64_t entry_before = 0;      // pagemap entries (impl/linux/pagemap.h)
  std::uint64_t entry_after = 0;
};

inline Fault classify_write(const WriteReport& report, bool reads_pfns) {
  AccessReport access{true, MapKind::PrivateAnon, report.maybe_write_protected,
                      report.entry_before, report.entry_after};
  return classify_access(access, 0, reads_pfns);
}

}  // namespace cow::linux_host
