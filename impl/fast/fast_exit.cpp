// exit and exec: leave a vfork parent running again, hand the space to the
// lowest task left in it, or drop every reference it holds when nobody else
// runs in it; exec first ends the other tasks of its thread group.
#include <stdexcept>
#include <vector>

#include "impl/fast/fast_cow.h"
#include "spec/panic.h"

namespace cow::fast {

Outcome FastCow::do_exit(Pid pid) {
  auto it = processes_.find(pid);
  Process& proc = it->second;
  leave_vfork(proc);
  leave_space(pid, proc);
  processes_.erase(it);
  return Outcome::ok();
}

// A task leaves its space. The holder hands the root to the lowest task
// left in it, which names the space from now on; the last task drops it.
void FastCow::leave_space(Pid pid, Process& proc) {
  if (!proc.holder) return;
  Process* heir = nullptr;
  Pid heir_pid = 0;
  for (auto& [other, task] : processes_) {  // in pid order: the first is the lowest
    if (other == pid || task.space != pid) continue;
    if (heir == nullptr) {
      heir = &task;
      heir_pid = other;
      task.holder = true;
      task.root = proc.root;
      task.tlb.flush_all();
      task.tlb_generation = tlb_generation_;
    }
    task.space = heir_pid;
  }
  if (heir == nullptr) space_drop(proc);
  proc.holder = false;
}

// de_thread: exec ends every other task of the caller's thread group, in
// pid order, each as its exit would.
void FastCow::end_thread_group(Pid pid) {
  Pid group = processes_.at(pid).group;
  std::vector<Pid> others;
  for (const auto& [other, task] : processes_)
    if (other != pid && task.group == group) others.push_back(other);
  for (Pid other : others) do_exit(other);
}

// The old space as exit leaves it, then a fresh one: every vpn private anon
// and untouched, which is one empty root table (see pte_bits.h).
Outcome FastCow::do_exec(Pid pid) {
  Process& proc = processes_.at(pid);
  leave_vfork(proc);
  end_thread_group(pid);
  leave_space(pid, proc);
  proc.space = pid;
  proc.holder = true;
  proc.root = tables_.table_alloc();
  proc.tlb.flush_all();
  proc.tlb_generation = tlb_generation_;
  return Outcome::ok();
}

// A vfork child leaves its parent's space: the parent runs again.
void FastCow::leave_vfork(Process& proc) {
  if (proc.vfork_parent == 0) return;
  auto parent = processes_.find(proc.vfork_parent);
  if (parent != processes_.end()) parent->second.suspended = false;
  proc.vfork_parent = 0;
}

void FastCow::space_drop(Process& owner) {
  exit_drop_table(owner.root, geometry_.root_level(), 0);
  owner.tlb.flush_all();
}

// Tears down the level-`level` table `table` (translating vpns from `base`)
// that this process alone references: every frame and slot a leaf entry
// holds loses a reference (and its reverse-map entry), every table below is
// dropped, and it returns to the pool with its entries cleared. A leaf table
// that fork still shares with another process only loses this process's
// reference: its frames' references stand for all the sharers together.
void FastCow::exit_drop_table(TableId table, std::uint32_t level, std::uint64_t base) {
  Pte* entries = tables_.entries(table);
  std::uint32_t n = geometry_.entries_below(level, base, config_.pages);
  for (std::uint32_t i = 0; i < n; ++i) {
    Pte entry = entries[i];
    if (entry == 0) continue;
    entries[i] = 0;
    if (level == 0) {
      entry_release(tables_.loc(table, i), entry);
      continue;
    }
    if (!pte_present(entry)) continue;
    TableId below = pte_frame(entry);
    std::uint64_t below_base = geometry_.entry_base(level, base, i);
    if (level == 1 && tables_.refcount(below) > 1)
      exit_leave_shared_table(below, below_base);
    else
      exit_drop_table(below, level - 1, below_base);
  }
  if (tables_.table_put(table) != 0) panic("exit_drop_table", "table is shared", "table", table);
  tables_.table_free(table);
}

void FastCow::exit_leave_shared_table(TableId table, std::uint64_t base) {
  if (mutated(Mutation::FreeSharedTable)) {
    const Pte* entries = tables_.entries(table);
    std::uint32_t n = geometry_.entries_below(0, base, config_.pages);
    for (std::uint32_t i = 0; i < n; ++i)
      if (pte_present(entries[i])) frame_drop(pte_frame(entries[i]));
  }
  tables_.table_put(table);
}

}  // namespace cow::fast
