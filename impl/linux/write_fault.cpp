#include "impl/linux/write_fault.h"

#include "impl/linux/pagemap.h"

namespace cow::linux_host {

Fault classify_write(const WriteReport& report, bool reads_pfns) {
  if (!reads_pfns || !report.maybe_write_protected) return Fault::None;
  std::uint64_t before = pagemap_pfn(report.entry_before);
  std::uint64_t after = pagemap_pfn(report.entry_after);
  if (before == 0 || after == 0) return Fault::None;
  return before == after ? Fault::CowReuse : Fault::CowCopy;
}

}  // namespace cow::linux_host
