#include "spec/frames_needed.h"

#include "spec/frame_refs.h"
#include "spec/reuse_policy.h"

namespace cow {

namespace {

bool cache_frame(const Snapshot& snap, Pfn frame) {
  const FrameView* f = snap.find_frame(frame);
  return f && f->cache;
}

// The page's PTE in the space it runs in (a vfork child uses its parent's),
// or null when the op names no live process or no page of it.
const PteView* target_pte(const Op& op, const Snapshot& snap, const Semantics& sem) {
  if (!sem.live(op.pid) || op.vpn >= sem.config().pages) return nullptr;
  return snap.find_pte(sem.space_owner(op.pid), op.vpn);
}

// Page-in finds the object page in a frame already when another page that
// shows the same cell maps a cache frame, or a pin of that cell holds one.
// An object page is always mapped at its own vpn.
bool object_page_cached(const Snapshot& snap, const Semantics& sem, Pid owner, Vpn vpn) {
  Semantics::CellId cell = sem.space(owner)[vpn].cell;
  for (const auto& [pid, proc] : sem.processes()) {
    if (sem.space_owner(pid) != pid) continue;
    const Semantics::Mapping& m = sem.space(pid)[vpn];
    if (m.kind == MapKind::None || m.cell != cell) continue;
    const PteView* pte = snap.find_pte(pid, vpn);
    if (pte && pte->present && cache_frame(snap, pte->frame)) return true;
  }
  for (const PinView& pin : snap.pins) {
    auto held = sem.pins().find(pin.id);
    if (held != sem.pins().end() && held->second == cell && cache_frame(snap, pin.frame))
      return true;
  }
  return false;
}

// fork: under a policy that copies pinned pages early, each pinned page its
// parent owns alone is copied for the child at once.
std::uint32_t fork_needs(const Op& op, const Snapshot& snap, const Semantics& sem) {
  if (!policy_info(sem.config().policy).fork_copies_pinned || !sem.live(op.pid)) return 0;
  Pid owner = sem.space_owner(op.pid);
  FrameRefs refs(snap);
  std::uint32_t copies = 0;
  for (Vpn vpn = 0; vpn < sem.config().pages; ++vpn) {
    const PteView* pte = snap.find_pte(owner, vpn);
    if (pte && pte->present && pte->exclusive && refs.pins(pte->frame) != 0 &&
        (is_private(pte->kind) || (pte->kind == MapKind::Text && !cache_frame(snap, pte->frame))))
      ++copies;
  }
  return copies;
}

// Eager paging: fork takes page-table frames from the same pool, one at
// least, so it may fail when none is free (beside the pinned copies).
std::uint32_t eager_fork_needs(const Op& op, const Snapshot& snap, const Semantics& sem) {
  std::uint32_t copies = fork_needs(op, snap, sem);
  return sem.config().paging == Paging::Eager ? copies + 1 : copies;
}

// Eager paging: mmap fills a frame for every page of the range at once,
// after its unmap freed the frames only those pages held.
std::uint32_t mmap_needs(const Op& op, const Snapshot& snap, const Semantics& sem) {
  if (sem.config().paging != Paging::Eager || !sem.live(op.pid)) return 0;
  Pid owner = sem.space_owner(op.pid);
  FrameRefs refs(snap);
  std::uint32_t freed = 0;
  for (Vpn vpn = op.vpn; vpn < op.vpn + op.count && vpn < sem.config().pages; ++vpn) {
    const PteView* pte = snap.find_pte(owner, vpn);
    if (pte && pte->present && refs.maps(pte->frame) == 1 && refs.pins(pte->frame) == 0) ++freed;
  }
  return op.count > freed ? op.count - freed : 0;
}

// The page as the COW decision sees it once it is present.
struct Present {
  bool writable, cow, exclusive, cache;
  std::uint32_t maps, refcount;
};

// read, write, copyout and pin: fault-in, then the COW decision.
std::uint32_t page_op_needs(const Op& op, const Snapshot& snap, const Semantics& sem) {
  const PteView* pte = target_pte(op, snap, sem);
  if (!pte || pte->kind == MapKind::None || op.word >= sem.config().words) return 0;
  bool is_pin = op.kind == OpKind::Pin;
  bool forced = op.kind == OpKind::Memwrite;  // FOLL_FORCE: even text gets a private copy
  bool for_write =
      op.kind == OpKind::Write || op.kind == OpKind::Copyout || forced || (is_pin && op.rw);
  if (for_write && !forced && pte->kind == MapKind::Text) return 0;  // protection fault
  ReusePolicy policy = sem.config().policy;

  std::uint32_t taken = 0;
  Present page{};
  if (pte->present) {
    FrameRefs refs(snap);
    page = {pte->writable,         pte->cow,
            pte->exclusive,        cache_frame(snap, pte->frame),
            refs.maps(pte->frame), snap.refcount(pte->frame)};
  } else if (pte->slot != kNoSlot) {
    // swap-in: one frame for every PTE that names the slot, bits kept.
    const SlotView* slot = snap.find_slot(pte->slot);
    std::uint32_t sharers = slot ? slot->refcount : 1;
    taken = 1;
    page = {pte->writable, pte->cow, pte->exclusive, false, sharers, sharers};
  } else if (pte->kind == MapKind::PrivateAnon) {
    return for_write || is_pin ? 1 : 0;  // zero-fill gives a writable, exclusive page
  } else {
    taken = object_page_cached(snap, sem, sem.space_owner(op.pid), op.vpn) ? 0 : 1;
    // Shared kinds map the cache frame writable, text read-only; a private
    // file page is read-only and cow on the cache frame.
    if (pte->kind != MapKind::PrivateFile && !(forced && pte->kind == MapKind::Text)) return taken;
    page = {false, true, false, true, 0, 0};
  }
  // A text page a forced write copied is COW across fork like a private
  // one; a forced write, or a read-only pin's unshare, breaks COW on text as
  // a write fault does on a cow page.
  bool text = pte->kind == MapKind::Text;
  bool unshare = is_pin && !op.rw && policy_info(policy).ro_pin_unshares &&
                 (is_private(pte->kind) || text) && !page.cache && !page.exclusive;
  if (text && (forced || unshare)) page.cow = true;
  if (!(for_write || unshare) || page.writable || !page.cow) return taken;
  if (page.cache) return taken + 1;  // a file's frame is never the writer's own
  // When reuse is optional the implementation may copy where the policy
  // reuses, so running out of frames for that copy is justified.
  if (sem.config().reuse == ReuseRule::Optional) return taken + 1;
  return taken + (policy_reuses(policy, page.exclusive, page.maps, page.refcount) ? 0 : 1);
}

}  // namespace

std::uint32_t frames_needed(const Op& op, const Snapshot& before, const Semantics& sem) {
  switch (op.kind) {
    case OpKind::Fork: return eager_fork_needs(op, before, sem);
    case OpKind::Mmap: return mmap_needs(op, before, sem);
    case OpKind::Read:
    case OpKind::Write:
    case OpKind::Copyout:
    case OpKind::Memwrite:
    case OpKind::Pin: return page_op_needs(op, before, sem);
    default: return 0;
  }
}

bool swapout_finds_pinned(const Op& op, const Snapshot& before, const Semantics& sem) {
  if (op.kind != OpKind::Swapout) return false;
  const PteView* pte = target_pte(op, before, sem);
  return pte && pte->present && FrameRefs(before).pins(pte->frame) != 0;
}

}  // namespace cow
