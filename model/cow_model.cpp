#include "model/cow_model.h"

#include <stdexcept>

#include "spec/panic.h"
#include "spec/reuse_policy.h"

namespace cow::model {

CowModel::CowModel(const Config& config)
    : config_(config), state_{.frames = FrameTable(config.frames), .objects = ObjectStore(config)} {
  Space init = fresh_space();
  for (Pte& pte : init.page_table) {
    pte_map_own(pte, *frames().frame_alloc());  // config_error() guarantees frames >= pages
    frames().set_contents(pte.frame, PageData{});
  }
  state_.spaces.emplace(state_.next_space, std::move(init));
  state_.procs[kInitPid] = Process{state_.next_space++, 0, 0, kInitPid, kInitPid};
}

Space CowModel::fresh_space() const {
  Space space;
  space.vmas.assign(config_.pages, Vma{MapKind::PrivateAnon, kFileObject});
  space.page_table.resize(config_.pages);
  return space;
}

// At least the most frames `op` can take: a fault on a page that is not
// present may bring it in and copy it, one on a present page may copy it
// (a read never does), a fork copies each pinned page early; nothing else
// allocates.
std::size_t CowModel::frames_needed(const Op& op) const {
  if (op.kind == OpKind::Fork) return state_.pins.size();
  if (!op_touches_page(op.kind) || op.kind == OpKind::Swapout) return 0;
  auto proc = state_.procs.find(op.pid);
  if (proc == state_.procs.end() || op.vpn >= config_.pages) return 0;
  const Pte& pte = state_.spaces.at(proc->second.space).page_table[op.vpn];
  if (!pte.present) return 2;
  return op.kind == OpKind::Read ? 0 : 1;
}

// An op that runs out of frames changes nothing: the whole state is saved
// before any op that might, and put back if it did.
Outcome CowModel::apply(const Op& op) {
  // Saved with one frame to spare too, so that an allocator that keeps a
  // frame in reserve (a mutant) still rolls back rather than throws.
  std::optional<State> saved;
  std::size_t need = frames_needed(op);
  if (need != 0 && frames().free_count() <= need) saved = state_;
  Outcome out = dispatch(op);
  if (out.status != Status::OutOfMemory) return out;
  if (!saved) panic("model", "out of memory with frames to spare");
  state_ = std::move(*saved);
  if (config_.oom == OomPolicy::Kill && op.kind != OpKind::Fork) {
    end_process(op.pid);
    return Outcome::error(Status::Killed);
  }
  return out;
}

Outcome CowModel::dispatch(const Op& op) {
  if (op.kind == OpKind::Unpin) return do_unpin(op);
  auto it = state_.procs.find(op.pid);
  if (it == state_.procs.end()) return Outcome::error(Status::NoSuchProcess);
  if (it->second.suspended_by != 0) return Outcome::error(Status::Suspended);
  switch (op.kind) {
    case OpKind::Fork: return do_fork(op.pid);
    case OpKind::Vfork: return do_vfork(op.pid);
    case OpKind::Exit: end_process(op.pid); return Outcome::ok();
    case OpKind::Exec: return do_exec(op.pid);
    case OpKind::Thread: return do_thread(op.pid);
    case OpKind::Mmap:
    case OpKind::Munmap: return do_map(op);
    case OpKind::Madvise: return do_madvise(op);
    default: return page_op(op, space_of(op.pid));
  }
}

Outcome CowModel::page_op(const Op& op, Space& space) {
  if (op.vpn >= config_.pages || op.word >= config_.words ||
      space.vmas[op.vpn].kind == MapKind::None)
    return Outcome::error(Status::BadAddress);
  switch (op.kind) {
    case OpKind::Read: return do_read(space, op.vpn, op.word);
    case OpKind::Write: return do_write(space, op.vpn, op.word, op.value);
    case OpKind::Copyout:
      if (space.vmas[op.vpn].kind == MapKind::Text) return Outcome::error(Status::ProtFault);
      return kernel_store(space, op.vpn, op.word, op.value);
    case OpKind::Memwrite: return do_memwrite(space, op.vpn, op.word, op.value);
    case OpKind::Pin: return do_pin(space, op.vpn, op.rw);
    case OpKind::Swapout: return do_swapout(space, op.vpn);
    default: return Outcome::error(Status::BadAddress);
  }
}

// --- processes --------------------------------------------------------------

Outcome CowModel::do_fork(Pid pid) {
  if (state_.procs.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  Space& parent = space_of(pid);
  Space child = fork_child_space(parent);
  for (Vpn vpn = 0; vpn < config_.pages; ++vpn)
    if (!fork_page(parent, child, vpn)) return Outcome::error(Status::OutOfMemory);
  return Outcome::forked(fork_install(std::move(child)));
}

Space CowModel::fork_child_space(const Space& parent) const {
  Space child;
  child.vmas = parent.vmas;
  child.page_table.resize(config_.pages);
  return child;
}

// copy_present_pte, for one page. False when an early copy finds no frame.
bool CowModel::fork_page(Space& parent, Space& child, Vpn vpn) {
  Pte& p = parent.page_table[vpn];
  Pte& c = child.page_table[vpn];
  MapKind kind = parent.vmas[vpn].kind;
  if (!p.present) {
    if (p.slot == kNoSlot) return true;  // untouched, or in its object
    swap().slot_get(p.slot);
    pte_share(p);
    c = p;
  } else if (!fork_shares_cow(kind, p)) {
    frames().frame_get(p.frame);  // shared and text pages stay one page
    c = p;
  } else if (fork_copies_pinned(p)) {
    // A pinned page stays its pinner's: the child gets its copy now.
    std::optional<Pfn> copy = alloc_frame();
    if (!copy) return false;
    frames().set_contents(*copy, frames().contents(p.frame));
    if (kind == MapKind::Text)
      pte_map_forced_copy(c, *copy);
    else
      pte_map_own(c, *copy);
  } else {
    fork_share_page(p, c);
  }
  return true;
}

Pid CowModel::fork_install(Space child) {
  state_.spaces.emplace(state_.next_space, std::move(child));
  Pid child_pid = state_.next_pid++;
  state_.procs[child_pid] = Process{state_.next_space++, 0, 0, child_pid, child_pid};
  return child_pid;
}

bool CowModel::fork_shares_cow(MapKind kind, const Pte& pte) const {
  return is_private(kind) || (kind == MapKind::Text && !is_cache_frame(pte.frame));
}

// Linux 5.10's early COW of pinned pages, which the exclusive bit relies on.
bool CowModel::fork_copies_pinned(const Pte& parent) const {
  return policy_info(config_.policy).fork_copies_pinned && parent.exclusive && pinned(parent.frame);
}

void CowModel::fork_share_page(Pte& parent, Pte& child) {
  frames().frame_get(parent.frame);
  pte_share(parent);
  child = parent;
}

Outcome CowModel::do_vfork(Pid pid) {
  if (state_.procs.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  Pid child = state_.next_pid++;
  const Process& parent = state_.procs.at(pid);
  state_.procs[child] = Process{parent.space, pid, 0, child, parent.owner};
  state_.procs.at(pid).suspended_by = child;
  return Outcome::forked(child);
}

// clone(CLONE_VM|CLONE_THREAD): the same space and thread group.
Outcome CowModel::do_thread(Pid pid) {
  if (state_.procs.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  const Process& creator = state_.procs.at(pid);
  Pid tid = state_.next_pid++;
  state_.procs[tid] = Process{creator.space, 0, 0, creator.group, creator.owner};
  return Outcome::forked(tid);
}

// Only the vfork child itself wakes its parent, not a task it made.
void CowModel::leave_vfork(Pid pid) {
  Process& proc = state_.procs.at(pid);
  if (proc.vfork_parent == 0) return;
  auto parent = state_.procs.find(proc.vfork_parent);
  if (parent != state_.procs.end() && parent->second.suspended_by == pid)
    parent->second.suspended_by = 0;
  proc.vfork_parent = 0;
}

// The space goes when the last process running in it does.
void CowModel::release_space(std::uint32_t id) {
  for (const auto& [pid, proc] : state_.procs)
    if (proc.space == id) return;
  for (Pte& pte : state_.spaces.at(id).page_table) exit_drop_page(pte);
  state_.spaces.erase(id);
}

void CowModel::name_space(std::uint32_t space) {
  Pid owner = 0;
  for (auto& [pid, proc] : state_.procs)  // in pid order: the first is the lowest
    if (proc.space == space) {
      if (owner == 0) owner = pid;
      proc.owner = owner;
    }
}

void CowModel::end_process(Pid pid) {
  leave_vfork(pid);
  std::uint32_t space = state_.procs.at(pid).space;
  state_.procs.erase(pid);
  name_space(space);
  release_space(space);
}

// de_thread: exec ends the other tasks of the caller's thread group.
void CowModel::end_thread_group(Pid pid) {
  Pid group = state_.procs.at(pid).group;
  std::vector<Pid> others;
  for (const auto& [other, proc] : state_.procs)
    if (other != pid && proc.group == group) others.push_back(other);
  for (Pid other : others) end_process(other);
}

Outcome CowModel::do_exec(Pid pid) {
  leave_vfork(pid);
  end_thread_group(pid);
  Process& proc = state_.procs.at(pid);
  std::uint32_t old = proc.space;
  state_.spaces.emplace(state_.next_space, fresh_space());
  proc.space = state_.next_space++;
  proc.owner = pid;
  name_space(old);
  release_space(old);
  return Outcome::ok();
}

void CowModel::exit_drop_page(Pte& pte) {
  if (pte.present) put_frame(pte.frame);
  if (pte.slot != kNoSlot) swap().slot_put(pte.slot);
  pte_clear(pte);
}

Outcome CowModel::do_map(const Op& op) {
  if (op.count == 0 || op.vpn >= config_.pages || op.count > config_.pages - op.vpn ||
      (op.kind == OpKind::Mmap && op.map == MapKind::None))
    return Outcome::error(Status::BadAddress);
  Space& space = space_of(op.pid);
  Vma vma;
  if (op.kind == OpKind::Mmap)
    vma = Vma{op.map, op.map == MapKind::SharedAnon ? state_.objects.create() : kFileObject};
  for (Vpn vpn = op.vpn; vpn < op.vpn + op.count; ++vpn) {
    exit_drop_page(space.page_table[vpn]);
    space.vmas[vpn] = vma;
  }
  return Outcome::ok();
}

// MADV_DONTNEED: the mappings stay, their pages go; the next touch
// zero-fills or pages in again.
Outcome CowModel::do_madvise(const Op& op) {
  if (op.count == 0 || op.vpn >= config_.pages || op.count > config_.pages - op.vpn)
    return Outcome::error(Status::BadAddress);
  Space& space = space_of(op.pid);
  for (Vpn vpn = op.vpn; vpn < op.vpn + op.count; ++vpn) exit_drop_page(space.page_table[vpn]);
  return Outcome::ok();
}

// --- faults -----------------------------------------------------------------

std::uint32_t CowModel::mapcount(Pfn frame) const {
  std::uint32_t count = 0;
  for (const auto& [id, space] : state_.spaces)
    for (const Pte& pte : space.page_table) count += pte.present && pte.frame == frame;
  return count;
}

std::optional<Pfn> CowModel::alloc_frame() { return frames().frame_alloc(); }

void CowModel::unpin_frame(const Pin& pin) { put_frame(pin.frame); }

bool CowModel::pinned(Pfn frame) const {
  for (const auto& [id, pin] : state_.pins)
    if (pin.frame == frame) return true;
  return false;
}

void CowModel::put_frame(Pfn frame) {
  auto owner = state_.cache_owner.find(frame);
  if (owner != state_.cache_owner.end() && frames().refcount(frame) == 1) {
    state_.objects.write_back(owner->second, frames().contents(frame));
    state_.cache_owner.erase(owner);
  }
  frames().frame_put(frame);
}

bool CowModel::zero_fill(Pte& pte) {
  std::optional<Pfn> frame = alloc_frame();
  if (!frame) return false;
  frames().set_contents(*frame, PageData{});
  pte_map_own(pte, *frame);
  return true;
}

bool CowModel::page_in(Space& space, Vpn vpn) {
  const Vma& vma = space.vmas[vpn];
  ObjectPage page{vma.object, vpn};
  Pfn frame = state_.objects.cached(page);
  if (frame != kNoFrame) {
    frames().frame_get(frame);
  } else {
    std::optional<Pfn> fresh = alloc_frame();
    if (!fresh) return false;
    frame = *fresh;
    frames().set_contents(frame, state_.objects.backing(page));
    state_.objects.cache(page, frame);
    state_.cache_owner[frame] = page;
  }
  pte_map_object(space.page_table[vpn], frame,
                 vma.kind == MapKind::SharedAnon || vma.kind == MapKind::SharedFile,
                 vma.kind == MapKind::PrivateFile);
  return true;
}

bool CowModel::swap_in(Slot slot) {
  std::optional<Pfn> frame = alloc_frame();
  if (!frame) return false;
  frames().set_contents(*frame, swap().contents(slot));
  bool first = true;
  for_each_pte([&](Pte& pte) {
    if (pte.present || pte.slot != slot) return;
    if (!first) frames().frame_get(*frame);
    first = false;
    swap().slot_put(slot);
    pte_swap_in(pte, *frame);
  });
  return true;
}

CowModel::FaultResult CowModel::fault_in_read(Space& space, Vpn vpn) {
  Pte& pte = space.page_table[vpn];
  if (pte.present) return {};
  if (pte.slot != kNoSlot)
    return swap_in(pte.slot) ? FaultResult{Status::Ok, Fault::SwapIn}
                             : FaultResult{Status::OutOfMemory, Fault::None};
  if (space.vmas[vpn].kind == MapKind::PrivateAnon) return {};  // untouched: reads as zeros
  return page_in(space, vpn) ? FaultResult{Status::Ok, Fault::PageIn}
                             : FaultResult{Status::OutOfMemory, Fault::None};
}

// do_wp_page: decide, then act. A file's frame is never the writer's own.
CowModel::FaultResult CowModel::wp_fault(Pte& pte) {
  if (!pte.cow) return {Status::ProtFault, Fault::None};
  if (!is_cache_frame(pte.frame) && can_reuse_frame(pte)) {
    wp_reuse(pte);
    return {Status::Ok, Fault::CowReuse};
  }
  if (!wp_copy(pte)) return {Status::OutOfMemory, Fault::None};
  return {Status::Ok, Fault::CowCopy};
}

CowModel::FaultResult CowModel::fault_in_write(Space& space, Vpn vpn) {
  Pte& pte = space.page_table[vpn];
  MapKind kind = space.vmas[vpn].kind;
  FaultResult first;
  if (!pte.present) {
    if (pte.slot != kNoSlot) {
      first = fault_in_read(space, vpn);
    } else if (kind == MapKind::PrivateAnon) {
      return zero_fill(pte) ? FaultResult{Status::Ok, Fault::ZeroFill}
                            : FaultResult{Status::OutOfMemory, Fault::None};
    } else {
      first = fault_in_read(space, vpn);
    }
    if (first.status != Status::Ok) return first;
  }
  if (pte.writable) return first;
  return wp_fault(pte);
}

// The sole-owner test, by the configured policy. Counting the mappings is
// a walk of every page table, so it is done only for a policy that reads it.
bool CowModel::can_reuse_frame(const Pte& pte) const {
  const PolicyInfo& policy = policy_info(config_.policy);
  std::uint32_t maps = policy.reads_mapcount ? mapcount(pte.frame) : 0;
  return policy_reuses(policy.policy, pte.exclusive, maps, frames().refcount(pte.frame));
}

void CowModel::wp_reuse(Pte& pte) { pte_make_writable(pte); }

bool CowModel::wp_copy(Pte& pte) {
  std::optional<Pfn> copy = alloc_frame();
  if (!copy) return false;
  frames().set_contents(*copy, frames().contents(pte.frame));
  put_frame(pte.frame);
  pte_map_own(pte, *copy);
  return true;
}

// --- page ops ---------------------------------------------------------------

Outcome CowModel::do_read(Space& space, Vpn vpn, std::uint32_t word) {
  FaultResult r = fault_in_read(space, vpn);
  if (r.status != Status::Ok) return Outcome::error(r.status);
  const Pte& pte = space.page_table[vpn];
  return Outcome::read(pte.present ? frames().contents(pte.frame)[word] : 0, r.fault);
}

Outcome CowModel::do_write(Space& space, Vpn vpn, std::uint32_t word, Value value) {
  if (space.vmas[vpn].kind == MapKind::Text) return Outcome::error(Status::ProtFault);
  FaultResult r = fault_in_write(space, vpn);
  if (r.status != Status::Ok) return Outcome::error(r.status);
  frames().set_word(space.page_table[vpn].frame, word, value);
  return Outcome::wrote(r.fault);
}

// The kernel's store into a user page takes the same fault path as the
// user's own: skipping it is the xv6 COW lab's classic copyout bug.
Outcome CowModel::kernel_store(Space& space, Vpn vpn, std::uint32_t word, Value value) {
  return do_write(space, vpn, word, value);
}

// A write through /proc/PID/mem: get_user_pages with FOLL_FORCE|FOLL_WRITE.
// On a writable mapping it is the user's write fault; on text, a COW break
// that leaves the PTE read-only, as the mapping is.
Outcome CowModel::do_memwrite(Space& space, Vpn vpn, std::uint32_t word, Value value) {
  if (space.vmas[vpn].kind != MapKind::Text) return do_write(space, vpn, word, value);
  FaultResult r = fault_in_read(space, vpn);
  if (r.status != Status::Ok) return Outcome::error(r.status);
  Pte& pte = space.page_table[vpn];
  FaultResult cow = force_cow(pte);
  if (cow.status != Status::Ok) return Outcome::error(cow.status);
  if (cow.fault != Fault::None) r.fault = cow.fault;
  frames().set_word(pte.frame, word, value);
  return Outcome::wrote(r.fault);
}

// do_wp_page for a read-only text page under FOLL_FORCE: a file's frame is
// never the writer's own, and a copy stays read-only, as its mapping is.
CowModel::FaultResult CowModel::force_cow(Pte& pte) {
  if (!is_cache_frame(pte.frame) && can_reuse_frame(pte)) {
    pte_claim(pte);
    return {};
  }
  if (!wp_copy(pte)) return {Status::OutOfMemory, Fault::None};
  pte_map_forced_copy(pte, pte.frame);
  return {Status::Ok, Fault::CowCopy};
}

Outcome CowModel::do_pin(Space& space, Vpn vpn, bool rw) {
  MapKind kind = space.vmas[vpn].kind;
  if (rw && kind == MapKind::Text) return Outcome::error(Status::ProtFault);
  Pte& pte = space.page_table[vpn];
  FaultResult r = rw ? fault_in_write(space, vpn) : fault_in_read(space, vpn);
  if (r.status != Status::Ok) return Outcome::error(r.status);
  if (!pte.present) {  // untouched anon: a pin needs a frame
    if (!zero_fill(pte)) return Outcome::error(Status::OutOfMemory);
    r.fault = Fault::ZeroFill;
  }
  // 5.19: a read-only pin first makes the page its pinner's (unshare), so a
  // later COW by anyone cannot leave the pin behind.
  if (policy_info(config_.policy).ro_pin_unshares && fork_shares_cow(kind, pte) &&
      !is_cache_frame(pte.frame) && !pte.exclusive) {
    r = kind == MapKind::Text ? force_cow(pte) : wp_fault(pte);
    if (r.status != Status::Ok) return Outcome::error(r.status);
  }
  frames().frame_get(pte.frame);
  PinId id = state_.next_pin++;
  state_.pins[id] = Pin{pte.frame, rw};
  return Outcome::pinned(id, r.fault);
}

Outcome CowModel::do_unpin(const Op& op) {
  auto it = state_.pins.find(op.pin);
  if (it == state_.pins.end()) return Outcome::error(Status::NoSuchPin);
  if (op.word >= config_.words) return Outcome::error(Status::BadAddress);
  Value value = frames().contents(it->second.frame)[op.word];
  unpin_frame(it->second);
  state_.pins.erase(it);
  return Outcome::read(value);
}

void CowModel::evict_cache_frame(Pfn frame) {
  for_each_pte([&](Pte& pte) {
    if (!pte.present || pte.frame != frame) return;
    put_frame(frame);
    pte_clear(pte);
  });
}

void CowModel::swapout_unmap(Pfn frame, Slot slot) {
  for_each_pte([&](Pte& pte) {
    if (!pte.present || pte.frame != frame) return;
    swap().slot_get(slot);
    put_frame(frame);
    pte_swap_out(pte, slot);
  });
}

// pframe_remove_from_pts: every page table that maps the frame lets go of it.
Outcome CowModel::do_swapout(Space& space, Vpn vpn) {
  const Pte& pte = space.page_table[vpn];
  if (!pte.present) return Outcome::ok();
  Pfn frame = pte.frame;
  if (pinned(frame)) return Outcome::error(Status::Busy);
  if (is_cache_frame(frame)) {
    evict_cache_frame(frame);
  } else {
    swapout_unmap(frame, swap().slot_alloc(frames().contents(frame)));
  }
  return Outcome::ok();
}

// --- observation ------------------------------------------------------------

std::unique_ptr<Implementation> CowModel::clone() const {
  return std::make_unique<CowModel>(*this);
}

std::optional<Snapshot> CowModel::snapshot() const {
  Snapshot snap;
  snap.total_frames = frames().size();
  snap.free_frames = frames().free_count();
  std::vector<bool> listed(frames().size(), false);
  for (const auto& [pid, proc] : state_.procs) {
    Pid owner = space_owner(pid);
    snap.procs.push_back({pid, owner, proc.suspended_by != 0});
    if (owner != pid) continue;
    const Space& space = state_.spaces.at(proc.space);
    for (Vpn vpn = 0; vpn < config_.pages; ++vpn) {
      const Pte& pte = space.page_table[vpn];
      snap.ptes.push_back({pid, vpn, space.vmas[vpn].kind, pte.present, pte.writable, pte.cow,
                           pte.exclusive, pte.frame, pte.slot});
      if (pte.present && pte.frame < frames().size()) listed[pte.frame] = true;
    }
  }
  for (const auto& [id, pin] : state_.pins) {
    snap.pins.push_back({id, pin.frame, pin.rw});
    if (pin.frame < frames().size()) listed[pin.frame] = true;
  }
  for (Pfn f = 0; f < frames().size(); ++f)
    if (listed[f] || frames().refcount(f) != 0)
      snap.frames.push_back({f, frames().refcount(f), frames().contents(f), is_cache_frame(f)});
  for (const auto& [slot, entry] : state_.swap.slots())
    snap.slots.push_back({slot, entry.refcount, entry.data});
  return snap;
}

}  // namespace cow::model
