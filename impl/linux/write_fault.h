// How the host served a write, told from outside the kernel: the writer's
// pagemap entry just before and after its store, and whether the store was
// the first since a fork write-protected the page.
#pragma once

#include <cstdint>

#include "spec/outcome.h"

namespace cow::linux_host {

struct WriteReport {
  bool maybe_write_protected = false;  // no store to the page since the last fork
  std::uint64_t entry_before = 0;      // pagemap entries (impl/linux/pagemap.h)
  std::uint64_t entry_after = 0;
};

// The first store after a fork faults (fork write-protected the page): a
// new PFN is a copy, the same PFN a reuse. Any later store finds the page
// private and writable: no fault. Without PFNs (`reads_pfns` false, or an
// entry that has none) nothing can be told and the answer is None.
// Whether the PTE was write-protected cannot be read from pagemap: bit 56
// (mapped once) is set on a page whose other sharer has exited, yet its PTE
// is still write-protected and the next store faults. Hence the server's
// own record of stores since the last fork.
Fault classify_write(const WriteReport& report, bool reads_pfns);

}  // namespace cow::linux_host
