// fork: the child's page tables from the parent's, in one of two modes (only
// the calling task is copied, as Linux forks a threaded process); vfork: the
// child borrows the parent's space; thread: a new task in the same space.
#include <algorithm>

#include "impl/fast/fast_cow.h"

namespace cow::fast {

Outcome FastCow::do_fork(Process& proc) {
  if (processes_.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  Process& space = space_of(proc);
  // Under a policy that copies pinned pages early, a pinned page its process owns is copied for
  // the child at once (Linux's early COW of pinned pages): write-protecting
  // it would let the parent's next write move it away from its pin. The
  // pinned frames are few, and each is mapped only at its own vpn.
  fork_early_.clear();
  if (policy_info(config_.policy).fork_copies_pinned && !pins_.empty()) {
    for (const auto& [id, pin] : pins_) {
      Vpn vpn = meta_[pin.frame].vpn;
      Pte pte = pte_seen(walk(space.root, vpn));
      if (pte_present(pte) && pte_frame(pte) == pin.frame && pte_fork_shares_cow(pte) &&
          pte_exclusive(pte))
        fork_early_.push_back(vpn);
    }
    std::sort(fork_early_.begin(), fork_early_.end());
    fork_early_.erase(std::unique(fork_early_.begin(), fork_early_.end()), fork_early_.end());
    // Fork is never killed: short of frames it fails with nothing changed.
    if (fork_early_.size() > frames_.free_count()) return Outcome::error(Status::OutOfMemory);
  }
  TableId child_root = fork_table(space.root, geometry_.root_level(), 0);
  // Every writable translation the parent cached is now write-protected.
  space.tlb.flush_all();
  Pid child = next_pid_++;
  Process& c = processes_[child];
  c.space = child;
  c.group = child;
  c.root = child_root;
  c.tlb_generation = tlb_generation_;
  return Outcome::forked(child);
}

Outcome FastCow::do_vfork(Process& parent, Pid parent_pid) {
  if (processes_.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  Pid child = next_pid_++;
  Process& c = processes_[child];
  c.space = parent.space;
  c.holder = false;
  c.group = child;
  c.vfork_parent = parent_pid;
  parent.suspended = true;
  return Outcome::forked(child);
}

// clone(CLONE_VM|CLONE_THREAD): a task in the creator's space and thread
// group; nothing of the space changes.
Outcome FastCow::do_thread(const Process& creator) {
  if (processes_.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  Pid tid = next_pid_++;
  Process& t = processes_[tid];
  t.space = creator.space;
  t.holder = false;
  t.group = creator.group;
  return Outcome::forked(tid);
}

// Builds the child's copy of the parent's level-`level` table `parent`, which
// translates vpns from `base`, and returns it. Upper levels are always
// copied. Eager mode copies the leaf tables too, doing to every entry what
// pte_fork_protect says on both sides and adding a reference (and a
// reverse-map entry) to its frame or slot: work per page, as Linux's
// copy_pte_range. Shared-tables mode stops at level 1 and shares each leaf
// table, write-protected through the level-1 entry on both sides: work per
// 512 pages; the entries themselves are untouched until the first change
// through the table unshares it (table_unshare). A leaf table holding a
// page to copy early is copied eagerly in either mode.
TableId FastCow::fork_table(TableId parent, std::uint32_t level, std::uint64_t base) {
  TableId child = tables_.table_alloc();
  Pte* from = tables_.entries(parent);
  Pte* to = tables_.entries(child);  // chunks never move: both stay valid
  std::uint32_t n = geometry_.entries_below(level, base, config_.pages);
  if (level == 0) {
    for (std::uint32_t i = 0; i < n; ++i) {
      Pte entry = from[i];
      if (entry == 0) continue;  // untouched private anon, as the new table's entry is
      if (pte_present(entry)) {
        Vpn vpn = static_cast<Vpn>(base + i);
        if (!fork_early_.empty() &&
            std::binary_search(fork_early_.begin(), fork_early_.end(), vpn)) {
          to[i] = fork_early_copy(entry, vpn, tables_.loc(child, i));
          continue;
        }
        entry = pte_fork_protect(entry);
        from[i] = entry;
        to[i] = entry;
        frames_.frame_get(pte_frame(entry));
        rmap_add(meta_[pte_frame(entry)].rmap, tables_.loc(child, i));
      } else if (pte_swap(entry)) {
        entry = pte_fork_protect(entry);
        from[i] = entry;
        to[i] = entry;
        ++slots_[pte_slot(entry)].refcount;
        rmap_add(slots_[pte_slot(entry)].rmap, tables_.loc(child, i));
      } else {
        to[i] = entry;
      }
    }
  } else if (level == 1 && options_.fork_mode == ForkMode::SharedTables) {
    std::uint64_t span = std::uint64_t{1} << geometry_.shift[1];
    for (std::uint32_t i = 0; i < n; ++i) {
      if (!pte_present(from[i])) continue;
      std::uint64_t leaf_base = geometry_.entry_base(level, base, i);
      auto early = std::lower_bound(fork_early_.begin(), fork_early_.end(), leaf_base);
      if (early != fork_early_.end() && *early < leaf_base + span) {
        to[i] = pte_make_table(fork_table(pte_frame(from[i]), 0, leaf_base));
        continue;
      }
      from[i] = pte_table_write_protect(from[i]);
      to[i] = from[i];
      tables_.table_get(pte_frame(from[i]));
    }
  } else {
    for (std::uint32_t i = 0; i < n; ++i) {
      if (!pte_present(from[i])) continue;
      to[i] = pte_make_table(
          fork_table(pte_frame(from[i]), level - 1, geometry_.entry_base(level, base, i)));
    }
  }
  return child;
}

// The child's own copy of a pinned exclusive page: a new frame, writable,
// exclusive (a text page's forced copy: read-only, as the parent's). The
// parent keeps its PTE as it is.
Pte FastCow::fork_early_copy(Pte parent, Vpn vpn, Loc child) {
  Pfn copy = frame_take(vpn);
  frames_.frame_copy(copy, pte_frame(parent));
  rmap_add(meta_[copy].rmap, child);
  if (pte_forced_copy(parent)) return pte_make_forced_copy(pte_kind(parent), copy);
  return pte_make_present(pte_kind(parent), copy, true, false, true);
}

}  // namespace cow::fast
