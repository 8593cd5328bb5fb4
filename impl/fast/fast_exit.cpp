// exit: drop every reference the process holds and free its tables.
#include "impl/fast/fast_cow.h"

#include <stdexcept>

namespace cow::fast {

Outcome FastCow::do_exit(Pid pid) {
  auto it = processes_.find(pid);
  exit_drop_table(it->second.root, geometry_.root_level(), 0);
  processes_.erase(it);
  return Outcome::ok();
}

// Tears down the level-`level` table `table` (translating vpns from `base`)
// that this process alone references: every frame it maps loses a
// reference, every table below is dropped, and it returns to the pool with
// its entries cleared. A leaf table that fork still shares with another
// process only loses this process's reference: its frames' references stand
// for all the sharers together.
void FastCow::exit_drop_table(TableId table, std::uint32_t level, std::uint64_t base) {
  Pte* entries = tables_.entries(table);
  std::uint32_t n = geometry_.entries_below(level, base, config_.pages);
  for (std::uint32_t i = 0; i < n; ++i) {
    Pte entry = entries[i];
    if (!pte_present(entry)) continue;
    entries[i] = 0;
    if (level == 0) {
      frames_.frame_put(pte_frame(entry));
      continue;
    }
    TableId below = pte_frame(entry);
    std::uint64_t below_base = geometry_.entry_base(level, base, i);
    if (level == 1 && tables_.refcount(below) > 1) exit_leave_shared_table(below, below_base);
    else exit_drop_table(below, level - 1, below_base);
  }
  if (tables_.table_put(table) != 0) throw std::logic_error("exit_drop_table: table is shared");
  tables_.table_free(table);
}

void FastCow::exit_leave_shared_table(TableId table, std::uint64_t base) {
  if (mutated(Mutation::FreeSharedTable)) {
    const Pte* entries = tables_.entries(table);
    std::uint32_t n = geometry_.entries_below(0, base, config_.pages);
    for (std::uint32_t i = 0; i < n; ++i)
      if (pte_present(entries[i])) frames_.frame_put(pte_frame(entries[i]));
  }
  tables_.table_put(table);
}

}  // namespace cow::fast
