// The write fault (Linux's do_wp_page): one dispatcher decides with the pure
// predicate can_reuse_frame, then one of two actions serves the fault.
#include "impl/fast/fast_cow.h"

#include <stdexcept>

namespace cow::fast {

Outcome FastCow::wp_fault(Process& proc, Vpn vpn, Walk& w) {
  Pte pte = pte_effective(leaf(w), w.path_writable);
  if (!pte_cow(pte)) return Outcome::error(Status::ProtFault);
  if (can_reuse_frame(pte_frame(pte), w.leaf_table)) {
    wp_reuse(proc, vpn, w);
    return Outcome::wrote(Fault::CowReuse);
  }
  if (!wp_copy(proc, vpn, w)) return Outcome::error(Status::OutOfMemory);
  return Outcome::wrote(Fault::CowCopy);
}

// Sole owner of the frame and of its table: keep the frame, make the PTE
// writable. No copy, no new frame.
void FastCow::wp_reuse(Process& proc, Vpn vpn, Walk& w) {
  if (!w.path_writable) table_reclaim(w, vpn);
  leaf(w) = pte_make_writable(leaf(w));
  tlb_flush_page(proc, vpn);
}

// Shared frame: move the writer to a private copy of the whole page. False
// when no frame is free, with nothing changed: the frame is taken before
// anything is touched.
bool FastCow::wp_copy(Process& proc, Vpn vpn, Walk& w) {
  std::optional<Pfn> copy = frames_.frame_alloc();
  if (!copy) return false;
  if (tables_.refcount(w.leaf_table) > 1) table_unshare(w, vpn);
  else if (!w.path_writable) table_reclaim(w, vpn);
  Pte& pte = leaf(w);
  Pfn old = pte_frame(pte);
  frames_.frame_copy(*copy, old);
  frames_.frame_put(old);
  pte = pte_make_writable(pte_with_frame(pte, *copy));
  // The writer may hold the old frame's translation: without this flush its
  // next read would see the frame it just left.
  if (!mutated(Mutation::StaleTlb)) tlb_flush_page(proc, vpn);
  return true;
}

// On-Demand-Fork's unshare, on the first write through a leaf table that
// fork shares: the writer gets its own copy. The copy and the original now
// both map every frame, so each frame gains a reference, and every private
// page in both becomes copy-on-write (its PTE may still say writable: until
// now only the level-1 entry protected it). The other sharers keep the
// original, still write-protected above, and need no flush: their cached
// translations were read-only already.
void FastCow::table_unshare(Walk& w, Vpn vpn) {
  TableId shared = w.leaf_table;
  TableId copy = tables_.table_alloc();
  Pte* from = tables_.entries(shared);
  Pte* to = tables_.entries(copy);
  std::uint32_t n = geometry_.entries_below(0, geometry_.leaf_table_base(vpn), config_.pages);
  for (std::uint32_t i = 0; i < n; ++i) {
    if (!pte_present(from[i])) continue;
    from[i] = pte_write_protect(from[i]);
    to[i] = from[i];
    if (!mutated(Mutation::UnshareNoRefcount)) frames_.frame_get(pte_frame(from[i]));
  }
  if (tables_.table_put(shared) == 0) throw std::logic_error("table_unshare: the table was not shared");
  upper(w) = pte_make_table(copy);
  w.leaf_table = copy;
  w.path_writable = true;  // levels above 1 are never shared
}

// The writer is the last of the processes that shared this leaf table (the
// others exited) and its level-1 entry still write-protects it. Making the
// entry writable again must not expose the PTEs that were writable when the
// table was shared: each frame had one reference for all sharers, so they
// are copy-on-write like every other page forked then.
void FastCow::table_reclaim(Walk& w, Vpn vpn) {
  if (tables_.refcount(w.leaf_table) != 1)
    throw std::logic_error("table_reclaim: the table is still shared");
  Pte* entries = tables_.entries(w.leaf_table);
  std::uint32_t n = geometry_.entries_below(0, geometry_.leaf_table_base(vpn), config_.pages);
  for (std::uint32_t i = 0; i < n; ++i)
    if (pte_present(entries[i])) entries[i] = pte_write_protect(entries[i]);
  upper(w) = pte_make_table(w.leaf_table);
  w.path_writable = true;
}

}  // namespace cow::fast
