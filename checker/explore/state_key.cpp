#include "checker/explore/state_key.h"

#include <algorithm>
#include <numeric>

namespace cow::explore {

namespace {

// Unsigned LEB128: small numbers (the common case) take one byte, poison
// and kNoFrame five.
void put(std::string& out, std::uint32_t n) {
  do {
    std::uint8_t byte = n & 0x7f;
    n >>= 7;
    out.push_back(static_cast<char>(n ? byte | 0x80 : byte));
  } while (n);
}

void put_data(std::string& out, const PageData& data, std::uint32_t words) {
  for (std::uint32_t w = 0; w < words; ++w) put(out, data[w]);
}

std::uint32_t flags(const PteView* p) {
  if (!p) return 0xff;
  return static_cast<std::uint32_t>(p->present | p->writable << 1 | p->cow << 2 |
                                    p->exclusive << 3 | (p->slot != kNoSlot) << 4 |
                                    static_cast<std::uint32_t>(p->kind) << 5);
}

std::uint32_t meaning_flags(const Semantics::Mapping* m) {
  return static_cast<std::uint32_t>(m->kind) << 1 | m->own;
}

std::size_t frame_index(const Snapshot& snap, const FrameView* f) {
  return static_cast<std::size_t>(f - snap.frames.data());
}

}  // namespace

void StateKeyer::gather(const Snapshot& snap, const Semantics& sem) {
  words_ = sem.config().words;
  live_ = 0;
  vfork_ = false;
  mappers_.assign(snap.frames.size(), 0);
  for (const PteView& p : snap.ptes)
    if (p.present)
      if (const FrameView* f = snap.find_frame(p.frame)) ++mappers_[frame_index(snap, f)];
  for (const auto& [pid, info] : sem.processes()) {
    if (live_ == procs_.size()) procs_.emplace_back();
    Process& proc = procs_[live_++];
    proc.pid = pid;
    proc.pages.clear();
    proc.signature.clear();
    put(proc.signature, info.suspended_by != 0);
    if (sem.space_owner(pid) != pid) {
      vfork_ = true;
      continue;
    }
    const std::vector<Semantics::Mapping>& space = sem.space(pid);
    for (Vpn vpn = 0; vpn < space.size(); ++vpn) {
      const PteView* pte = snap.find_pte(pid, vpn);
      const FrameView* frame = pte && pte->present ? snap.find_frame(pte->frame) : nullptr;
      proc.pages.push_back(Page{pte, frame, &space[vpn]});
      // Everything about the page but frame, slot and cell numbers.
      put(proc.signature, flags(pte));
      put(proc.signature, frame ? frame->refcount : 0);
      put(proc.signature, frame ? mappers_[frame_index(snap, frame)] : 0);
      if (frame) put_data(proc.signature, frame->contents, kMaxWords);
      put(proc.signature, meaning_flags(&space[vpn]));
      if (space[vpn].kind != MapKind::None)
        put_data(proc.signature, sem.cell(space[vpn].cell).data, words_);
    }
  }
}

// File cells keep their page number; the others are named by first use.
std::uint32_t StateKeyer::cell_name(const Semantics& sem, Semantics::CellId cell) {
  if (cell < sem.config().pages) return cell;
  std::uint32_t& name = cell_names_[cell];
  if (name == 0) name = ++cells_named_;
  return sem.config().pages + name - 1;
}

void StateKeyer::encode(const std::vector<std::size_t>& order, const Snapshot& snap,
                        const Semantics& sem, std::string& out) {
  out.clear();
  rename_.assign(snap.frames.size(), 0);
  slot_names_.clear();
  cell_names_.assign(sem.cell_count(), 0);
  cells_named_ = 0;
  std::uint32_t named = 0;
  std::vector<std::size_t>& first_seen = first_seen_;
  first_seen.clear();
  auto name_frame = [&](const FrameView* frame) {
    std::uint32_t& name = rename_[frame_index(snap, frame)];
    if (name == 0) {
      name = ++named;
      first_seen.push_back(frame_index(snap, frame));
    }
    return name;
  };
  put(out, static_cast<std::uint32_t>(order.size()));
  for (std::size_t i : order) {
    out += procs_[i].signature.substr(0, 1);  // suspended
    if (procs_[i].pages.empty()) {
      // A vfork child: which process lends it its space (order is pid order here).
      Pid owner = sem.space_owner(procs_[i].pid);
      for (std::size_t j = 0; j < order.size(); ++j)
        if (procs_[order[j]].pid == owner) put(out, static_cast<std::uint32_t>(j));
      continue;
    }
    for (const Page& page : procs_[i].pages) {
      put(out, flags(page.pte));
      if (page.frame) {
        put(out, name_frame(page.frame));
      } else {
        // An unlisted frame number is kept as is: it is already a violation.
        put(out, 0);
        put(out, page.pte && page.pte->present ? page.pte->frame : kNoFrame);
      }
      if (page.pte && page.pte->slot != kNoSlot) {
        auto it = std::find_if(slot_names_.begin(), slot_names_.end(),
                               [&](const auto& named) { return named.first == page.pte->slot; });
        bool fresh = it == slot_names_.end();
        if (fresh)
          it = slot_names_.insert(slot_names_.end(),
                                  {page.pte->slot, static_cast<std::uint32_t>(slot_names_.size())});
        put(out, it->second);
        if (fresh) {
          const SlotView* slot = snap.find_slot(page.pte->slot);
          put(out, slot ? slot->refcount : kNoSlot);
          if (slot) put_data(out, slot->contents, kMaxWords);
        }
      }
      put(out, meaning_flags(page.meaning));
      if (page.meaning->kind != MapKind::None) {
        put(out, cell_name(sem, page.meaning->cell));
        put_data(out, sem.cell(page.meaning->cell).data, words_);
      }
    }
  }
  // Pins by age: what they hold and what they must see.
  put(out, static_cast<std::uint32_t>(snap.pins.size()));
  for (const PinView& pin : snap.pins) {
    const FrameView* frame = snap.find_frame(pin.frame);
    put(out, frame ? name_frame(frame) : kNoFrame);
    put(out, pin.rw);
  }
  put(out, static_cast<std::uint32_t>(sem.pins().size()));
  for (const auto& [id, cell] : sem.pins()) {
    put(out, cell_name(sem, cell));
    put_data(out, sem.cell(cell).data, words_);
  }
  for (Vpn p = 0; p < sem.config().pages; ++p) put_data(out, sem.cell(p).data, words_);
  for (std::size_t f : first_seen) {
    put(out, snap.frames[f].refcount);
    put(out, snap.frames[f].cache);
    put_data(out, snap.frames[f].contents, kMaxWords);
  }
  // Frames in use that no live page maps (leaked ones): only what they
  // hold identifies them, so they go in sorted order.
  std::size_t unmapped = 0;
  for (std::size_t f = 0; f < snap.frames.size(); ++f)
    if (rename_[f] == 0) {
      if (unmapped == unmapped_.size()) unmapped_.emplace_back();
      std::string& one = unmapped_[unmapped++];
      one.clear();
      put(one, snap.frames[f].refcount);
      put(one, snap.frames[f].cache);
      put_data(one, snap.frames[f].contents, kMaxWords);
    }
  std::sort(unmapped_.begin(), unmapped_.begin() + static_cast<std::ptrdiff_t>(unmapped));
  put(out, static_cast<std::uint32_t>(unmapped));
  for (std::size_t i = 0; i < unmapped; ++i) out += unmapped_[i];
  put(out, static_cast<std::uint32_t>(snap.slots.size()));
  put(out, snap.free_frames);
}

const std::string& StateKeyer::key(const Snapshot& snap, const Semantics& sem) {
  gather(snap, sem);
  std::vector<std::size_t>& order = order_;
  order.resize(live_);
  std::iota(order.begin(), order.end(), 0);
  if (vfork_) {
    encode(order, snap, sem, best_);
    return best_;
  }
  auto by_signature = [this](std::size_t a, std::size_t b) {
    return procs_[a].signature < procs_[b].signature;
  };
  std::sort(order.begin(), order.end(), by_signature);
  // Processes with equal signatures may still differ in how they share
  // frames: try every order of each run of ties and keep the least key.
  std::vector<std::pair<std::size_t, std::size_t>> ties;
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i + 1;
    while (j < order.size() && !by_signature(order[i], order[j])) ++j;
    if (j - i > 1) ties.emplace_back(i, j);
    i = j;
  }
  encode(order, snap, sem, best_);
  if (ties.empty()) return best_;
  for (auto [b, e] : ties) std::sort(order.begin() + b, order.begin() + e);
  while (true) {
    encode(order, snap, sem, candidate_);
    if (candidate_ < best_) std::swap(best_, candidate_);
    // Next combination: advance the last tie run that has a next permutation.
    std::size_t r = ties.size();
    while (r > 0) {
      auto [b, e] = ties[r - 1];
      if (std::next_permutation(order.begin() + b, order.begin() + e)) break;
      --r;  // that run wrapped to sorted order; carry into the previous one
    }
    if (r == 0) break;
  }
  return best_;
}

}  // namespace cow::explore
