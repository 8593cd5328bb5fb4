// How the host served a page access, told from outside the kernel: the
// pagemap entry of the page just before and after the access, what is
// mapped there, and whether a fork write-protected it since the last write.
#pragma once

#include <cstdint>
#include <optional>

#include "spec/outcome.h"
#include "spec/types.h"

namespace cow::linux_host {

struct AccessReport {
  // A write: a store by the user or the kernel (copyout), or a pin that
  // takes the page for writing (FOLL_WRITE). Otherwise a load or a
  // reference taken for reading.
  bool writes = false;
  MapKind kind = MapKind::PrivateAnon;
  // A fork shared the page (so write-protected its PTE) and nothing wrote
  // it since: the next write takes a COW fault.
  bool maybe_write_protected = false;
  std::uint64_t entry_before = 0;  // pagemap entries (impl/linux/pagemap.h)
  std::uint64_t entry_after = 0;
  // The page faults the access took, where they are counted (linux:thp):
  // none at all proves the page was writable already, which the record
  // above cannot see when a write to another page reused their huge page.
  std::optional<std::uint32_t> faults;
  // A forced write (/proc/PID/mem, FOLL_FORCE): on text, the file's page is
  // copied (`cow-copy`, whether it was present or not), and a copy already
  // the writer's is written in place, no COW decision (the PTE stays
  // read-only, so no fork's write protection is lifted).
  bool forced = false;
};

// The fault the model would name for what the host did:
// - a page brought in: by a write to a private anonymous page (or over the
//   shared zero page a load had mapped there), `zero-fill`; by a write to a
//   private file page, `cow-copy` (the file's page copied at once,
//   do_cow_fault); by a load from one, or any access to a shared or text
//   page, `page-in`; by a load from a private anonymous page, none (the
//   host maps the zero page where the model maps nothing);
// - a present page: a new PFN after a write is `cow-copy`; the same PFN is
//   `cow-reuse` when a fork write-protected the page and nothing wrote it
//   since (and, where faults are counted, the access took one), else no
//   fault.
// Pagemap cannot say whether a PTE is write-protected, hence the server's
// record (server_space.cpp, mark_shared_by_fork). Without PFNs (`reads_pfns` false, or an entry
// that has none) nothing can be told and the answer is None. `zero_pfn`: the shared zero page's
// PFN, or 0 when unknown.
Fault classify_access(const AccessReport& report, std::uint64_t zero_pfn, bool reads_pfns);

}  // namespace cow::linux_host
