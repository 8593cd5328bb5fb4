#include "model/cow_model.h"

namespace cow::model {

CowModel::CowModel(const Config& config) : config_(config), frames_(config.frames) {
  Process& init = processes_[kInitPid];
  init.page_table.resize(config.pages);
  for (Pte& pte : init.page_table) {
    pte.present = true;
    pte.frame = *frames_.frame_alloc();  // config_error() guarantees frames >= pages
    frames_.set_contents(pte.frame, PageData{});
    pte_make_writable(pte);
  }
}

Outcome CowModel::apply(const Op& op) {
  auto it = processes_.find(op.pid);
  if (it == processes_.end()) return Outcome::error(Status::NoSuchProcess);
  Process& proc = it->second;
  switch (op.kind) {
    case OpKind::Fork:
      return do_fork(proc);
    case OpKind::Write:
      if (!valid_address(op)) return Outcome::error(Status::BadAddress);
      return do_write(proc.page_table[op.vpn], op.word, op.value);
    case OpKind::Read:
      if (!valid_address(op)) return Outcome::error(Status::BadAddress);
      return Outcome::read(frames_.contents(proc.page_table[op.vpn].frame)[op.word]);
    case OpKind::Exit:
      return do_exit(op.pid);
  }
  return Outcome::error(Status::NoSuchProcess);
}

Outcome CowModel::do_fork(Process& parent) {
  if (processes_.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  Pid child_pid = next_pid_++;
  Process child;
  child.page_table.resize(config_.pages);
  for (Vpn vpn = 0; vpn < config_.pages; ++vpn)
    fork_share_page(parent.page_table[vpn], child.page_table[vpn]);
  processes_.emplace(child_pid, std::move(child));
  return Outcome::forked(child_pid);
}

void CowModel::fork_share_page(Pte& parent, Pte& child) {
  if (!parent.present) return;
  frames_.frame_get(parent.frame);
  pte_write_protect(parent);
  child = parent;
}

// do_wp_page: decide, then act. The decision is can_reuse_frame alone.
bool CowModel::valid_address(const Op& op) const {
  return op.vpn < config_.pages && op.word < config_.words;
}

Outcome CowModel::do_write(Pte& pte, std::uint32_t word, Value value) {
  Fault fault = Fault::None;
  if (!pte.writable) {
    if (!pte.cow) return Outcome::error(Status::ProtFault);
    if (can_reuse_frame(pte.frame)) {
      wp_reuse(pte);
      fault = Fault::CowReuse;
    } else {
      if (!wp_copy(pte)) return Outcome::error(Status::OutOfMemory);
      fault = Fault::CowCopy;
    }
  }
  frames_.set_word(pte.frame, word, value);
  return Outcome::wrote(fault);
}

// Refcount 1 means this PTE is the frame's only reference: nobody else can
// observe the write, so copying would only waste a frame.
bool CowModel::can_reuse_frame(Pfn frame) const { return frames_.refcount(frame) == 1; }

void CowModel::wp_reuse(Pte& pte) { pte_make_writable(pte); }

bool CowModel::wp_copy(Pte& pte) {
  std::optional<Pfn> copy = frames_.frame_alloc();
  if (!copy) return false;
  frames_.set_contents(*copy, frames_.contents(pte.frame));
  frames_.frame_put(pte.frame);
  pte.frame = *copy;
  pte_make_writable(pte);
  return true;
}

Outcome CowModel::do_exit(Pid pid) {
  for (Pte& pte : processes_.at(pid).page_table) exit_drop_page(pte);
  processes_.erase(pid);
  return Outcome::ok();
}

void CowModel::exit_drop_page(Pte& pte) {
  if (pte.present) frames_.frame_put(pte.frame);
  pte = Pte{};
}

std::unique_ptr<Implementation> CowModel::clone() const {
  return std::make_unique<CowModel>(*this);
}

std::optional<Snapshot> CowModel::snapshot() const {
  Snapshot snap;
  snap.total_frames = frames_.size();
  snap.free_frames = frames_.free_count();
  for (const auto& [pid, proc] : processes_)
    for (Vpn vpn = 0; vpn < proc.page_table.size(); ++vpn) {
      const Pte& pte = proc.page_table[vpn];
      snap.ptes.push_back({pid, vpn, pte.present, pte.writable, pte.cow, pte.frame});
    }
  std::vector<bool> listed(frames_.size(), false);
  for (const PteView& p : snap.ptes)
    if (p.present && p.frame < frames_.size()) listed[p.frame] = true;
  for (Pfn f = 0; f < frames_.size(); ++f)
    if (listed[f] || frames_.refcount(f) != 0)
      snap.frames.push_back({f, frames_.refcount(f), frames_.contents(f)});
  return snap;
}

}  // namespace cow::model
