// WP: write protection. A PTE lets its process write a frame only when no
// other PTE or reference can see that frame.
#include <map>

#include <fmt/format.h>

#include "spec/checks.h"

namespace cow {

std::optional<Violation> check_wp(const Step& step) {
  if (!step.snap_after) return std::nullopt;
  const Snapshot& snap = *step.snap_after;
  std::map<Pfn, std::uint32_t> mappers;
  for (const PteView& pte : snap.ptes)
    if (pte.present) ++mappers[pte.frame];

  for (const PteView& pte : snap.ptes) {
    if (!pte.present) continue;
    std::uint32_t refs = snap.refcount(pte.frame);
    std::uint32_t maps = mappers[pte.frame];
    if (pte.writable && (refs != 1 || maps != 1))
      return Violation{InvariantId::WP, pte.pid, pte.vpn, pte.frame,
                       fmt::format("PTE is writable but its frame has refcount {} and {} mappings",
                                   refs, maps)};
    if (maps > 1 && !pte.cow)
      return Violation{InvariantId::WP, pte.pid, pte.vpn, pte.frame,
                       fmt::format("frame is shared by {} PTEs but this one has no cow bit, so a "
                                   "write would not be copied",
                                   maps)};
  }
  return std::nullopt;
}

}  // namespace cow
