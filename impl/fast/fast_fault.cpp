// Faults: fault-in (the whole fault planned first, from the state before,
// then the steps, none of which can fail), the write fault (Linux's
// do_wp_page) as one decision + two actions, zero-fill, page-in,
// swap-in and swapout through the reverse map, and the frames, slots and
// reverse-map lists they share.
#include <stdexcept>
#include <string>

#include "impl/fast/fast_cow.h"
#include "spec/panic.h"

namespace cow::fast {

// Decides the whole fault at `vpn` for `access` from the state before it:
// what brings the page in (a swap-in or a page-in of a page not cached
// takes a frame, a zero-fill one), then whether the write fault reuses or
// copies (a copy takes one more). A write that must bring a page in and
// then copy it takes two, and fails before doing either when fewer are free.
FastCow::FaultPlan FastCow::plan_fault(const Process& space, Vpn vpn, Access access) const {
  Walk w = walk(space.root, vpn);
  Pte pte = pte_seen(w);
  MapKind kind = pte_kind(pte);
  FaultPlan plan;
  bool writable = pte_writable(pte), cow = pte_cow(pte), exclusive = pte_exclusive(pte);
  bool cache = false;  // a page of an object: a private mapping never reuses its frame
  if (pte_swap(pte)) {
    plan = {Fault::SwapIn, false, false, 1};
  } else if (!pte_present(pte)) {
    if (kind == MapKind::PrivateAnon) {  // a zero-fill gives a writable, exclusive page
      if (access != Access::Read) plan = {Fault::ZeroFill, false, false, 1};
      return plan;
    }
    std::uint32_t object = kind == MapKind::SharedAnon ? pte_object(pte) : 0;
    plan = {Fault::PageIn, false, false, objects_[object].cache.count(vpn) ? 0u : 1u};
    // Shared kinds map the cache frame writable, text read-only; a private
    // file page is read-only and cow on the cache frame, and so is text to
    // a forced write.
    if (kind != MapKind::PrivateFile && !(kind == MapKind::Text && access == Access::Force))
      return plan;
    writable = false;
    cow = true;
    exclusive = false;
    cache = true;
  } else {
    cache = meta_[pte_frame(pte)].object != kNoObject;
  }
  // Text is never cow: only a forced write, or a read-only pin's unshare of
  // a forced copy, breaks COW on it.
  bool text = kind == MapKind::Text;
  if (access == Access::Read || writable || (!cow && !text)) return plan;
  // A read-only pin breaks COW only where the policy unshares first.
  bool unshare = policy_info(config_.policy).ro_pin_unshares && (is_private(kind) || text) &&
                 !cache && !exclusive;
  if (access == Access::PinRo && !unshare) return plan;
  if (text && access == Access::Write) return plan;  // a protection fault, refused before
  plan.break_cow = true;
  plan.forced = text;
  if (cache)
    plan.reuse = false;
  else if (pte_swap(pte))  // after the swap-in, every entry that named the slot holds the frame
    plan.reuse = reuses(exclusive, rmap_sharers(slots_[pte_slot(pte)].rmap), 0);
  else
    plan.reuse = can_reuse(pte, w.leaf_table);
  if (!plan.reuse) ++plan.frames;
  return plan;
}

// Takes the steps `plan` decided; the caller has checked that plan.frames
// are free. Returns the fault reported: the COW decision when one was
// made, else the step that brought the page in.
Fault FastCow::fault_in(Process& space, Vpn vpn, const FaultPlan& plan) {
  switch (plan.bring_in) {
    case Fault::SwapIn: swap_in(pte_slot(pte_seen(walk(space.root, vpn))), vpn); break;
    case Fault::ZeroFill: zero_fill(space, vpn); return Fault::ZeroFill;
    case Fault::PageIn: page_in(space, vpn, pte_seen(walk(space.root, vpn))); break;
    default: break;
  }
  if (!plan.break_cow) return plan.bring_in;
  Walk w = walk(space.root, vpn);
  if (plan.forced) {
    // A frame the writer may keep stays as it is, read-only; else a copy.
    if (plan.reuse) return plan.bring_in;
    wp_copy(space, vpn, w, true);
    return Fault::CowCopy;
  }
  return wp_fault(space, vpn, w, plan.reuse);
}

// The write fault on a present, read-only, cow page, once the policy has
// decided (can_reuse, or the plan): one action serves.
Fault FastCow::wp_fault(Process& space, Vpn vpn, Walk& w, bool reuse) {
  if (!pte_cow(pte_seen(w))) panic("wp_fault", "the page is not copy-on-write");
  if (reuse) {
    wp_reuse(space, vpn, w);
    return Fault::CowReuse;
  }
  wp_copy(space, vpn, w);
  return Fault::CowCopy;
}

// The writer may keep the frame: make the PTE writable, not cow, exclusive.
// No copy, no new frame.
void FastCow::wp_reuse(Process& space, Vpn vpn, Walk& w) {
  if (tables_.refcount(w.leaf_table) > 1) panic("wp_reuse", "the leaf table is shared");
  if (!w.path_writable) table_reclaim(w, vpn);
  leaf(w) = pte_make_writable(leaf(w));
  tlb_flush_page(space, vpn);
}

// Shared frame: move the writer to a private copy of the whole page,
// writable; a forced one (text) read-only.
void FastCow::wp_copy(Process& space, Vpn vpn, Walk& w, bool forced) {
  Pfn copy = frame_take(vpn);
  if (tables_.refcount(w.leaf_table) > 1)
    table_unshare(w, vpn);
  else if (!w.path_writable)
    table_reclaim(w, vpn);
  Pte& pte = leaf(w);
  Pfn old = pte_frame(pte);
  Loc loc = leaf_loc(w);
  frames_.frame_copy(copy, old);
  pte = forced ? pte_make_forced_copy(pte_kind(pte), copy)
               : pte_make_writable(pte_with_frame(pte, copy));
  rmap_remove(meta_[old].rmap, loc);
  rmap_add(meta_[copy].rmap, loc);
  frame_drop(old);
  // The writer may hold the old frame's translation: without this flush its
  // next read would see the frame it just left.
  if (!mutated(Mutation::StaleTlb)) tlb_flush_page(space, vpn);
}

// An untouched private anon page's first write (or pin): a zeroed frame of
// its own, writable and exclusive.
void FastCow::zero_fill(Process& space, Vpn vpn) {
  Pfn frame = frame_take(vpn);
  frames_.frame_zero(frame);
  Walk w = leaf_for_update(space, vpn);
  leaf(w) = pte_make_present(MapKind::PrivateAnon, frame, true, false, true);
  rmap_add(meta_[frame].rmap, leaf_loc(w));
  tlb_flush_page(space, vpn);
}

// Maps object page `vpn` for the not-present entry `pte` (file, text or
// shared-anon): the object's cache frame if it has one, else a new cache
// frame filled from the backing store. Shared kinds map it writable, text
// read-only, a private file read-only and cow.
void FastCow::page_in(Process& space, Vpn vpn, Pte pte) {
  MapKind kind = pte_kind(pte);
  std::uint32_t object = kind == MapKind::SharedAnon ? pte_object(pte) : 0;
  Pfn frame;
  auto cached = objects_[object].cache.find(vpn);
  if (cached != objects_[object].cache.end()) {
    frame = cached->second;
    frames_.frame_get(frame);
  } else {
    frame = frame_take(vpn);
    frame_fill_from_object(frame, object, vpn);
    meta_[frame].object = object;
    objects_[object].cache[vpn] = frame;
  }
  bool shared = kind == MapKind::SharedAnon || kind == MapKind::SharedFile;
  Walk w = leaf_for_update(space, vpn);
  leaf(w) = pte_make_present(kind, frame, shared, kind == MapKind::PrivateFile, false);
  rmap_add(meta_[frame].rmap, leaf_loc(w));
  tlb_flush_page(space, vpn);
}

void FastCow::frame_fill_from_object(Pfn frame, std::uint32_t object, Vpn page) {
  frames_.frame_zero(frame);
  const Object& o = objects_[object];
  auto stored = o.store.find(page);
  for (std::uint32_t word = 0; word < config_.words; ++word) {
    Value v = stored != o.store.end() ? stored->second[word]
              : object == 0           ? file_word(page, word)
                                      : 0;
    frames_.write_word(frame, word, v);
  }
}

// Swap-in of `slot`: one new frame with its contents, and every entry that
// names the slot (in every space, found through its reverse map) present
// again on it with the bits it had. A page shared before its swapout is
// shared after. Nothing was present, so no cached translation is stale.
void FastCow::swap_in(Slot slot, Vpn vpn) {
  Pfn frame = frame_take(vpn);
  frames_.frame_zero(frame);
  for (std::uint32_t word = 0; word < kMaxWords; ++word)
    frames_.write_word(frame, word, slots_[slot].data[word]);
  bool first = true;
  for (Loc loc = slots_[slot].rmap; loc != kNoLoc;) {
    Loc next = tables_.link(loc).next;
    Pte& entry = tables_.entry(loc);
    entry = pte_from_swap(entry, frame);
    rmap_remove(slots_[slot].rmap, loc);
    rmap_add(meta_[frame].rmap, loc);
    if (!first) frames_.frame_get(frame);
    first = false;
    slot_drop(slot);
    loc = next;
  }
  if (first) panic("swap_in", "the slot has no mapping");
}

// Evicts the frame behind `vpn`. Every entry that maps it (the reverse map)
// changes: for a cache frame each becomes not present and the last
// reference writes the page back to its object; for anonymous memory the
// contents go to a new slot and each becomes a swap entry for it, keeping
// its bits. A pinned frame stays (busy).
Outcome FastCow::do_swapout(Process& space, Vpn vpn) {
  Walk w = walk(space.root, vpn);
  Pte pte = pte_seen(w);
  if (pte_kind(pte) == MapKind::None) return Outcome::error(Status::BadAddress);
  if (!pte_present(pte)) return Outcome::ok();
  Pfn frame = pte_frame(pte);
  if (meta_[frame].pins > 0) return Outcome::error(Status::Busy);
  if (meta_[frame].object != kNoObject) {
    std::uint32_t object = meta_[frame].object;
    for (Loc loc = meta_[frame].rmap; loc != kNoLoc;) {
      Loc next = tables_.link(loc).next;
      Pte& entry = tables_.entry(loc);
      entry = pte_make_unmapped(pte_kind(entry), object);
      rmap_remove(meta_[frame].rmap, loc);
      frame_drop(frame);
      loc = next;
    }
  } else {
    Slot slot = slot_take(frames_.page_data(frame));
    Loc evicting = leaf_loc(w);
    for (Loc loc = meta_[frame].rmap; loc != kNoLoc;) {
      Loc next = tables_.link(loc).next;
      // The seeded bug: only the evicting entry moves to the slot; the
      // others keep the frame, which is no longer freed.
      if (!mutated(Mutation::SwapoutOnePte) || loc == evicting) {
        Pte& entry = tables_.entry(loc);
        entry = pte_to_swap(entry, slot);
        rmap_remove(meta_[frame].rmap, loc);
        rmap_add(slots_[slot].rmap, loc);
        ++slots_[slot].refcount;
        frame_drop(frame);
      }
      loc = next;
    }
  }
  tlb_shootdown();
  return Outcome::ok();
}

// On-Demand-Fork's unshare, on the first per-process change through a leaf
// table that fork shares: the writer gets its own copy. Every entry of the
// table was forked, so both now hold what eager fork would have left (see
// pte_fork_protect), and the copy's frames and slots each gain a reference
// and a reverse-map entry. The other sharers keep the original, still
// write-protected above, and need no flush: what they see has not changed.
void FastCow::table_unshare(Walk& w, Vpn vpn) {
  TableId shared = w.leaf_table;
  TableId copy = tables_.table_alloc();
  Pte* from = tables_.entries(shared);
  Pte* to = tables_.entries(copy);  // chunks never move: both stay valid
  std::uint32_t n = geometry_.entries_below(0, geometry_.leaf_table_base(vpn), config_.pages);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (from[i] == 0) continue;
    Pte entry = pte_fork_protect(from[i]);
    from[i] = entry;
    to[i] = entry;
    if (pte_present(entry)) {
      if (!mutated(Mutation::UnshareNoRefcount)) frames_.frame_get(pte_frame(entry));
      rmap_add(meta_[pte_frame(entry)].rmap, tables_.loc(copy, i));
    } else if (pte_swap(entry)) {
      ++slots_[pte_slot(entry)].refcount;
      rmap_add(slots_[pte_slot(entry)].rmap, tables_.loc(copy, i));
    }
  }
  if (tables_.table_put(shared) == 0) panic("table_unshare", "the table was not shared");
  upper(w) = pte_make_table(copy);
  w.leaf_table = copy;
  w.path_writable = true;  // levels above 1 are never shared
}

// The process is the last of those that shared this leaf table (the others
// exited) and its level-1 entry still write-protects it. Making the entry
// writable again must not expose what fork protected: every entry becomes
// what eager fork would have left.
void FastCow::table_reclaim(Walk& w, Vpn vpn) {
  if (tables_.refcount(w.leaf_table) != 1) panic("table_reclaim", "the table is still shared");
  Pte* entries = tables_.entries(w.leaf_table);
  std::uint32_t n = geometry_.entries_below(0, geometry_.leaf_table_base(vpn), config_.pages);
  for (std::uint32_t i = 0; i < n; ++i) entries[i] = pte_fork_protect(entries[i]);
  upper(w) = pte_make_table(w.leaf_table);
  w.path_writable = true;
}

Pfn FastCow::frame_take(Vpn vpn) {
  std::optional<Pfn> frame = frames_.frame_alloc();
  if (!frame) panic("frame_take", "no free frame (the caller must check)");
  meta_[*frame] = FrameMeta{kNoLoc, 0, vpn, kNoObject};
  return *frame;
}

// Drops one reference. The last one writes a cache frame back to its
// object, then frees the frame (poisoned).
void FastCow::frame_drop(Pfn frame) {
  if (frames_.refcount(frame) == 1) {
    FrameMeta& m = meta_[frame];
    if (m.object != kNoObject) {
      objects_[m.object].store[m.vpn] = frames_.page_data(frame);
      objects_[m.object].cache.erase(m.vpn);
    }
    // A correct run has no mapping left; a mutant's stale ones are unlinked.
    for (Loc loc = m.rmap; loc != kNoLoc;) {
      Loc next = tables_.link(loc).next;
      tables_.link(loc) = RmapLink{};
      loc = next;
    }
    m = FrameMeta{};
  }
  frames_.frame_put(frame);
}

// The lowest free slot, holding `data`, with no reference yet.
Slot FastCow::slot_take(const PageData& data) {
  Slot slot = 0;
  while (slot < slots_.size() && slots_[slot].refcount != 0) ++slot;
  if (slot == slots_.size()) slots_.emplace_back();
  slots_[slot] = SwapSlot{0, data, kNoLoc};
  return slot;
}

void FastCow::slot_drop(Slot slot) {
  if (slots_[slot].refcount == 0) panic("slot_drop", "refcount underflow");
  if (--slots_[slot].refcount == 0) slots_[slot] = SwapSlot{};
}

void FastCow::rmap_add(Loc& head, Loc loc) {
  tables_.link(loc) = RmapLink{kNoLoc, head};
  if (head != kNoLoc) tables_.link(head).prev = loc;
  head = loc;
}

// Unlinks `loc` from the list `head` starts. An entry already unlinked (a
// mutant freed its frame under it) is left alone.
void FastCow::rmap_remove(Loc& head, Loc loc) {
  RmapLink link = tables_.link(loc);
  if (link.prev == kDetached) return;
  if (link.prev == kNoLoc)
    head = link.next;
  else
    tables_.link(link.prev).next = link.next;
  if (link.next != kNoLoc) tables_.link(link.next).prev = link.prev;
  tables_.link(loc) = RmapLink{};
}

std::uint32_t FastCow::rmap_size(Loc head) const {
  std::uint32_t n = 0;
  for (Loc loc = head; loc != kNoLoc; loc = tables_.link(loc).next) ++n;
  return n;
}

std::uint32_t FastCow::rmap_sharers(Loc head) const {
  std::uint32_t n = 0;
  for (Loc loc = head; loc != kNoLoc; loc = tables_.link(loc).next)
    n += tables_.refcount(tables_.loc_table(loc));
  return n;
}

void FastCow::entry_release(Loc loc, Pte pte) {
  if (pte_present(pte)) {
    rmap_remove(meta_[pte_frame(pte)].rmap, loc);
    frame_drop(pte_frame(pte));
  } else if (pte_swap(pte)) {
    rmap_remove(slots_[pte_slot(pte)].rmap, loc);
    slot_drop(pte_slot(pte));
  }
}

}  // namespace cow::fast
