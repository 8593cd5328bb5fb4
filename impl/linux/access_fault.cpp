#include "impl/linux/access_fault.h"

#include "impl/linux/pagemap.h"

namespace cow::linux_host {

namespace {

// A page the access brought in: what was mapped there decides.
Fault brought_in(const AccessReport& r) {
  if (r.forced && r.kind == MapKind::Text) return Fault::CowCopy;
  switch (r.kind) {
    case MapKind::PrivateAnon: return r.writes ? Fault::ZeroFill : Fault::None;
    case MapKind::PrivateFile: return r.writes ? Fault::CowCopy : Fault::PageIn;
    case MapKind::SharedAnon:
    case MapKind::SharedFile:
    case MapKind::Text: return Fault::PageIn;
    case MapKind::None: break;
  }
  return Fault::None;
}

}  // namespace

Fault classify_access(const AccessReport& r, std::uint64_t zero_pfn, bool reads_pfns) {
  if (!reads_pfns || !pagemap_present(r.entry_after)) return Fault::None;
  std::uint64_t after = pagemap_pfn(r.entry_after);
  if (after == 0) return Fault::None;
  if (!pagemap_present(r.entry_before)) return brought_in(r);
  std::uint64_t before = pagemap_pfn(r.entry_before);
  if (before == 0 || !r.writes) return Fault::None;
  if (zero_pfn != 0 && before == zero_pfn) return Fault::ZeroFill;
  if (before != after) return Fault::CowCopy;
  if (r.faults && *r.faults == 0) return Fault::None;
  if (is_private(r.kind) && r.maybe_write_protected) return Fault::CowReuse;
  return Fault::None;
}

}  // namespace cow::linux_host
