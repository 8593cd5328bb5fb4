// WP: write protection. A PTE lets its process write a frame only when no
// other page can see that frame: private pages are COW, text is never
// writable, and only shared mappings write a frame others map.
#include <fmt/format.h>

#include "spec/checks.h"
#include "spec/frame_refs.h"

namespace cow {

namespace {

Violation wp(const PteView& pte, std::string detail) {
  return Violation{InvariantId::WP, pte.pid, pte.vpn, pte.frame, std::move(detail)};
}

std::optional<Violation> check_private(const PteView& pte, std::uint32_t maps, bool cache) {
  if (pte.writable && (maps != 1 || cache))
    return wp(pte, cache ? "a private PTE is writable onto a file or shared frame: a write would "
                           "reach every mapper"
                         : fmt::format("PTE is writable but its frame has {} mappings", maps));
  if ((maps > 1 || cache) && !pte.cow)
    return wp(pte, fmt::format("{} but this private PTE has no cow bit, so a write would not be "
                               "copied",
                               cache ? "the frame belongs to the file"
                                     : fmt::format("frame is shared by {} PTEs", maps)));
  if (pte.exclusive && (maps != 1 || cache))
    return wp(pte, fmt::format("page is marked exclusive but its frame has {} mappings{}", maps,
                               cache ? " and belongs to the file" : ""));
  return std::nullopt;
}

}  // namespace

std::optional<Violation> check_wp(const Step& step) {
  if (!step.snap_after) return std::nullopt;
  const Snapshot& snap = *step.snap_after;
  FrameRefs refs(snap);

  for (const PteView& pte : snap.ptes) {
    if (!pte.present) continue;
    const FrameView* frame = snap.find_frame(pte.frame);
    bool cache = frame && frame->cache;
    std::uint32_t maps = refs.maps(pte.frame);
    switch (pte.kind) {
      case MapKind::Text:
        if (pte.writable || pte.cow) return wp(pte, "a read-only text page is writable or COW");
        break;
      case MapKind::SharedAnon:
      case MapKind::SharedFile:
        if (pte.cow || pte.exclusive) return wp(pte, "a shared mapping's PTE is COW or exclusive");
        break;
      case MapKind::PrivateAnon:
      case MapKind::PrivateFile:
        if (auto v = check_private(pte, maps, cache)) return v;
        break;
      case MapKind::None: return wp(pte, "an unmapped page is present");
    }
  }
  return std::nullopt;
}

}  // namespace cow
