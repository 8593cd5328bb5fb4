// The white-box view: what each PTE means to its process and what each
// frame's refcount means, in the spec's terms.
#include <vector>

#include "impl/fast/fast_cow.h"

namespace cow::fast {

std::optional<PteView> FastCow::pte_view(Pid pid, Vpn vpn) const {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return std::nullopt;
  PteView view{pid, vpn, false, false, false, kNoFrame};
  Walk w = walk(it->second.root, vpn);
  if (!w.found || !pte_present(leaf(w))) return view;
  Pte pte = pte_effective(leaf(w), w.path_writable);
  view.present = true;
  view.writable = pte_writable(pte);
  view.cow = pte_cow(pte);
  view.frame = pte_frame(pte);
  return view;
}

// A frame's refcount counts leaf tables; the spec's counts PTEs of live
// processes. A leaf table shared by n processes holds one reference to each
// of its frames and stands for n PTEs, so each adds n-1. The stored
// refcounts are what is reported, so a wrong one shows.
std::optional<Snapshot> FastCow::snapshot() const {
  Snapshot snap;
  snap.total_frames = frames_.size();
  snap.free_frames = frames_.free_count();
  std::vector<bool> mapped(frames_.size(), false);
  // Only shared tables add references; eager mode never has one, so these
  // stay empty and cost nothing.
  std::vector<bool> table_seen;
  std::vector<std::uint32_t> shared_refs;
  snap.ptes.reserve(processes_.size() * config_.pages);
  for (const auto& [pid, proc] : processes_) {
    for (Vpn vpn = 0; vpn < config_.pages; ++vpn) {
      PteView view{pid, vpn, false, false, false, kNoFrame};
      Walk w = walk(proc.root, vpn);
      if (w.found && pte_present(leaf(w))) {
        Pte pte = pte_effective(leaf(w), w.path_writable);
        view = {pid, vpn, true, pte_writable(pte), pte_cow(pte), pte_frame(pte)};
        if (view.frame < mapped.size()) mapped[view.frame] = true;
      }
      snap.ptes.push_back(view);
      if (!w.found || tables_.refcount(w.leaf_table) <= 1) continue;
      if (table_seen.empty()) {
        table_seen.resize(tables_.tables_reserved(), false);
        shared_refs.resize(frames_.size(), 0);
      }
      if (table_seen[w.leaf_table]) continue;
      table_seen[w.leaf_table] = true;
      std::uint32_t sharers = tables_.refcount(w.leaf_table);
      const Pte* entries = tables_.entries(w.leaf_table);
      std::uint32_t n = geometry_.entries_below(0, geometry_.leaf_table_base(vpn), config_.pages);
      for (std::uint32_t i = 0; i < n; ++i)
        if (pte_present(entries[i]) && pte_frame(entries[i]) < shared_refs.size())
          shared_refs[pte_frame(entries[i])] += sharers - 1;
    }
  }
  for (Pfn f = 0; f < frames_.size(); ++f) {
    std::uint32_t refcount = frames_.refcount(f) + (shared_refs.empty() ? 0 : shared_refs[f]);
    if (refcount != 0 || mapped[f]) snap.frames.push_back({f, refcount, frames_.page_data(f)});
  }
  return snap;
}

}  // namespace cow::fast
