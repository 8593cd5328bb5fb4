// fork: the child's page tables from the parent's, in one of two modes.
#include "impl/fast/fast_cow.h"

namespace cow::fast {

Outcome FastCow::do_fork(Process& parent) {
  if (processes_.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  TableId child_root = fork_table(parent.root, geometry_.root_level(), 0);
  // Every writable translation the parent cached is now write-protected.
  parent.tlb.flush_all();
  Pid child = next_pid_++;
  processes_[child].root = child_root;
  return Outcome::forked(child);
}

// Builds the child's copy of the parent's level-`level` table `parent`, which
// translates vpns from `base`, and returns it. Upper levels are always
// copied. Eager mode copies the leaf tables too, write-protecting every
// private page on both sides and adding a reference to its frame: work per
// page, as Linux's copy_pte_range. Shared-tables mode stops at level 1 and
// shares each leaf table, write-protected through the level-1 entry on both
// sides: work per 512 pages; the pages' own PTEs are untouched until the
// first write through the table unshares it (table_unshare).
TableId FastCow::fork_table(TableId parent, std::uint32_t level, std::uint64_t base) {
  TableId child = tables_.table_alloc();
  Pte* from = tables_.entries(parent);
  Pte* to = tables_.entries(child);  // chunks never move: both stay valid
  std::uint32_t n = geometry_.entries_below(level, base, config_.pages);
  if (level == 0) {
    for (std::uint32_t i = 0; i < n; ++i) {
      if (!pte_present(from[i])) continue;
      from[i] = pte_write_protect(from[i]);
      to[i] = from[i];
      frames_.frame_get(pte_frame(from[i]));
    }
  } else if (level == 1 && options_.fork_mode == ForkMode::SharedTables) {
    for (std::uint32_t i = 0; i < n; ++i) {
      if (!pte_present(from[i])) continue;
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

}  // namespace cow::fast
