#include "model/stepped/stepped_model.h"

#include "spec/panic.h"
#include "spec/reuse_policy.h"

namespace cow::model {

std::string_view pc_name(Pc pc) {
  switch (pc) {
    case Pc::Atomic: return "atomic";
    case Pc::Access: return "access";
    case Pc::FaultLock: return "fault-lock";
    case Pc::FaultIn: return "fault-in";
    case Pc::WpCopy: return "wp-copy";
    case Pc::WpInstall: return "wp-install";
    case Pc::GupLock: return "gup-lock";
    case Pc::GupFollow: return "gup-follow";
    case Pc::GupFaultIn: return "gup-fault-in";
    case Pc::GupStore: return "gup-store";
    case Pc::FastWalk: return "fast-walk";
    case Pc::FastGrab: return "fast-grab";
    case Pc::FastRecheck: return "fast-recheck";
    case Pc::PinLock: return "pin-lock";
    case Pc::PinFault: return "pin-fault";
    case Pc::ZapLock: return "zap-lock";
    case Pc::Zap: return "zap";
    case Pc::ForkLock: return "fork-lock";
    case Pc::ForkCopy: return "fork-copy";
    case Pc::ForkDone: return "fork-done";
  }
  return "?";
}

namespace {

// The ops that run as steps; the rest are one step.
bool stepped(OpKind kind) {
  switch (kind) {
    case OpKind::Read:
    case OpKind::Write:
    case OpKind::Memwrite:
    case OpKind::Pin:
    case OpKind::Madvise:
    case OpKind::Fork: return true;
    default: return false;
  }
}

// A fault's report, as CowModel gives it: the COW decision wins over the
// bring-in that came before it.
void note_fault(Fault& reported, Fault fault) {
  if (fault == Fault::CowCopy || fault == Fault::CowReuse || reported == Fault::None)
    if (fault != Fault::None) reported = fault;
}

bool bad_page(const Op& op, const Config& config) {
  return op.vpn >= config.pages || op.word >= config.words;
}

}  // namespace

SteppedModel::SteppedModel(const Config& config) : CowModel(config) {}

std::unique_ptr<Implementation> SteppedModel::clone() const {
  return std::make_unique<SteppedModel>(*this);
}

bool SteppedModel::same_state(const SteppedModel& other) const {
  return CowModel::same_state(other) && tasks_ == other.tasks_ && tlbs_ == other.tlbs_ &&
         tlb_space_ == other.tlb_space_ && locks_ == other.locks_ &&
         write_protect_seq_ == other.write_protect_seq_;
}

bool SteppedModel::can_start(Lane lane, const Op& op) const {
  if (busy(lane)) return false;
  if (!stepped(op.kind)) return idle();  // it runs whole, when nothing else is in flight
  if (op.kind == OpKind::Unpin) return true;
  for (const auto& [other, task] : tasks_)
    if (task.op.kind != OpKind::Unpin && task.op.pid == op.pid) return false;
  return true;
}

std::optional<Outcome> SteppedModel::start(Lane lane, const Op& op) {
  if (!can_start(lane, op)) panic("stepped model", "a lane or task already has an op in flight");
  Task& task = tasks_[lane];
  task.op = op;
  if (std::optional<Outcome> done = begin(lane, task)) return done;
  return enabled(lane) ? step(lane) : std::nullopt;
}

// The checks CowModel makes before it acts, in its order; the first step.
std::optional<Outcome> SteppedModel::begin(Lane lane, Task& task) {
  const Op& op = task.op;
  task.pc = Pc::Atomic;
  if (op.kind == OpKind::Unpin) return std::nullopt;
  auto proc = state_.procs.find(op.pid);
  if (proc == state_.procs.end()) return finish(lane, Outcome::error(Status::NoSuchProcess));
  if (proc->second.suspended_by != 0) return finish(lane, Outcome::error(Status::Suspended));
  const Space& space = space_of(op.pid);
  switch (op.kind) {
    case OpKind::Read:
    case OpKind::Write:
    case OpKind::Memwrite:
    case OpKind::Pin: {
      if (bad_page(op, config()) || space.vmas[op.vpn].kind == MapKind::None)
        return finish(lane, Outcome::error(Status::BadAddress));
      MapKind kind = space.vmas[op.vpn].kind;
      if (kind == MapKind::Text && (op.kind == OpKind::Write || (op.kind == OpKind::Pin && op.rw)))
        return finish(lane, Outcome::error(Status::ProtFault));
      task.pc = op.kind == OpKind::Memwrite ? Pc::GupLock
                : op.kind == OpKind::Pin    ? Pc::FastWalk
                                            : Pc::Access;
      task.foll_write = op.kind == OpKind::Memwrite;
      return std::nullopt;
    }
    case OpKind::Madvise:
      if (op.count == 0 || op.vpn >= config().pages || op.count > config().pages - op.vpn)
        return finish(lane, Outcome::error(Status::BadAddress));
      task.pc = Pc::ZapLock;
      return std::nullopt;
    case OpKind::Fork: task.pc = Pc::ForkLock; return std::nullopt;
    default: return std::nullopt;
  }
}

bool SteppedModel::enabled(Lane lane) const {
  const Task& task = tasks_.at(lane);
  switch (task.pc) {
    case Pc::Atomic: return tasks_.size() == 1;
    case Pc::FaultLock:
    case Pc::GupLock:
    case Pc::PinLock:
    case Pc::ZapLock: return mmap_free_for_read(task.op.pid);
    case Pc::ForkLock: return mmap_free_for_write(task.op.pid);
    default: return true;
  }
}

std::optional<Outcome> SteppedModel::step(Lane lane) {
  if (!enabled(lane)) panic("stepped model", "a step that is not enabled");
  return run(lane, tasks_.at(lane));
}

std::optional<Outcome> SteppedModel::run(Lane lane, Task& task) {
  const Pid pid = task.op.pid;
  switch (task.pc) {
    case Pc::Atomic: {
      Outcome out = CowModel::apply(task.op);
      flush_all_tlbs();  // whatever it changed, no CPU remembers the old
      return finish(lane, out);
    }
    case Pc::Access: return access(lane, task);
    case Pc::FaultLock:
      ++mmap_lock(pid).readers;
      task.pc = Pc::FaultIn;
      return std::nullopt;
    case Pc::FaultIn: return fault_in(lane, task);
    case Pc::WpCopy: return wp_copy_step(lane, task);
    case Pc::WpInstall: return wp_install(lane, task);
    case Pc::GupLock:
      ++mmap_lock(pid).readers;
      task.pc = Pc::GupFollow;
      return std::nullopt;
    case Pc::GupFollow: return gup_follow(lane, task);
    case Pc::GupFaultIn: return gup_fault_in(lane, task);
    case Pc::GupStore: return gup_store(lane, task);
    case Pc::FastWalk: return fast_walk(lane, task);
    case Pc::FastGrab:
      // try_grab_folio: a page freed since the walk cannot be taken.
      if (frames().refcount(task.orig.frame) == 0) {
        task.pc = Pc::PinLock;
      } else {
        frames().frame_get(task.orig.frame);
        task.pc = Pc::FastRecheck;
      }
      return std::nullopt;
    case Pc::FastRecheck: return fast_recheck(lane, task);
    case Pc::PinLock:
      ++mmap_lock(pid).readers;
      task.pc = Pc::PinFault;
      return std::nullopt;
    case Pc::PinFault: return pin_fault(lane, task);
    case Pc::ZapLock:
      ++mmap_lock(pid).readers;
      task.pc = Pc::Zap;
      return std::nullopt;
    case Pc::Zap: return zap(lane, task);
    case Pc::ForkLock: {
      // Full now is full all along: only whole ops end processes, and they
      // wait for a quiet machine.
      if (state_.procs.size() >= config().procs)
        return finish(lane, Outcome::error(Status::ProcLimit));
      mmap_lock(pid).writer = true;
      ++write_protect_seq_;  // odd: GUP-fast must not trust what it walks
      task.child = fork_child_space(space_of(pid));
      task.pc = Pc::ForkCopy;
      return std::nullopt;
    }
    case Pc::ForkCopy: return fork_copy(lane, task);
    case Pc::ForkDone: return fork_done(lane, task);
  }
  return std::nullopt;
}

std::optional<Outcome> SteppedModel::finish(Lane lane, const Outcome& outcome) {
  tasks_.erase(lane);
  return outcome;
}

bool SteppedModel::mmap_free_for_read(Pid pid) const {
  auto lock = locks_.find(space_id(pid));
  return lock == locks_.end() || !lock->second.writer;
}

bool SteppedModel::mmap_free_for_write(Pid pid) const {
  auto lock = locks_.find(space_id(pid));
  return lock == locks_.end() || (!lock->second.writer && lock->second.readers == 0);
}

void SteppedModel::mmap_read_unlock(Pid pid) {
  auto lock = locks_.find(space_id(pid));
  if (lock == locks_.end() || lock->second.readers == 0)
    panic("stepped model", "mmap_read_unlock without the lock");
  if (--lock->second.readers == 0 && !lock->second.writer) locks_.erase(lock);
}

// Out of frames in a step that holds the mmap lock for read: the op gives
// up, or under the OOM killer its task ends.
std::optional<Outcome> SteppedModel::fail_alloc(Lane lane, Task& task) {
  Pid pid = task.op.pid;
  mmap_read_unlock(pid);
  if (config().oom == OomPolicy::Kill) {
    end_process(pid);
    return finish(lane, Outcome::error(Status::Killed));
  }
  return finish(lane, Outcome::error(Status::OutOfMemory));
}

void SteppedModel::flush_tlb_page(std::uint32_t space, Vpn vpn, Lane lane) {
  for (auto& [cpu, entries] : tlbs_)
    if (cpu == lane || tlb_space_[cpu] == space) entries.erase(vpn);
}

bool SteppedModel::gup_fast_changed(const Task& task, const Pte& now) const {
  return now != task.orig || write_protect_seq_ != task.seq;
}

// --- user loads and stores ---------------------------------------------------

std::optional<Outcome> SteppedModel::user_access(const Op& op, Pfn frame, Fault fault) {
  if (op.kind == OpKind::Read) return Outcome::read(frames().contents(frame)[op.word], fault);
  frames().set_word(frame, op.word, op.value);
  return Outcome::wrote(fault);
}

// The CPU: its translation cache, then the page-table walk; a fault only
// when neither allows the access.
std::optional<Outcome> SteppedModel::access(Lane lane, Task& task) {
  const Op& op = task.op;
  std::uint32_t space = space_id(op.pid);
  if (tlb_space_[lane] != space) {  // a switch to another space flushes the CPU
    tlbs_[lane].clear();
    tlb_space_[lane] = space;
  }
  bool write = op.kind == OpKind::Write;
  std::map<Vpn, TlbEntry>& tlb = tlbs_[lane];
  if (auto hit = tlb.find(op.vpn); hit != tlb.end() && (!write || hit->second.writable))
    return finish(lane, *user_access(op, hit->second.frame, task.fault));
  Space& s = space_of(op.pid);
  const Pte& pte = s.page_table[op.vpn];
  if (pte.present && (!write || pte.writable)) {
    tlb[op.vpn] = TlbEntry{pte.frame, pte.writable};
    return finish(lane, *user_access(op, pte.frame, task.fault));
  }
  if (!write && !pte.present && pte.slot == kNoSlot && s.vmas[op.vpn].kind == MapKind::PrivateAnon)
    return finish(lane, Outcome::read(0, task.fault));  // untouched: reads as zeros
  tlb.erase(op.vpn);                                    // the faulting CPU drops what it had
  task.pc = Pc::FaultLock;
  return std::nullopt;
}

// handle_mm_fault under the page-table lock: bring the page in, then for a
// write decide reuse or copy. A PTE another task fixed meanwhile is
// simply retried.
std::optional<Outcome> SteppedModel::fault_in(Lane lane, Task& task) {
  const Op& op = task.op;
  Space& s = space_of(op.pid);
  Pte& pte = s.page_table[op.vpn];
  bool write = op.kind == OpKind::Write;
  if (!bring_in(s, op.vpn, write, task.fault)) return fail_alloc(lane, task);
  if (write && pte.present && !pte.writable) {
    if (!pte.cow) {
      mmap_read_unlock(op.pid);
      return finish(lane, Outcome::error(Status::ProtFault));
    }
    if (!is_cache_frame(pte.frame) && can_reuse_frame(pte)) {
      wp_reuse(pte);
      note_fault(task.fault, Fault::CowReuse);
    } else {
      // wp_page_copy: hold the old page, and copy it without the lock.
      task.orig = pte;
      frames().frame_get(pte.frame);
      task.pc = Pc::WpCopy;
      return std::nullopt;
    }
  }
  mmap_read_unlock(op.pid);
  task.pc = Pc::Access;
  return std::nullopt;
}

// A page not present comes in: zero-filled for a write to untouched anon
// memory, else as a read brings it. False when no frame is free.
bool SteppedModel::bring_in(Space& space, Vpn vpn, bool for_write, Fault& reported) {
  Pte& pte = space.page_table[vpn];
  if (pte.present) return true;
  FaultResult r;
  if (for_write && pte.slot == kNoSlot && space.vmas[vpn].kind == MapKind::PrivateAnon)
    r = zero_fill(pte) ? FaultResult{Status::Ok, Fault::ZeroFill}
                       : FaultResult{Status::OutOfMemory, Fault::None};
  else
    r = fault_in_read(space, vpn);
  if (r.status != Status::Ok) return false;
  note_fault(reported, r.fault);
  return true;
}

std::optional<Outcome> SteppedModel::wp_copy_step(Lane lane, Task& task) {
  std::optional<Pfn> fresh = alloc_frame();
  if (!fresh) {
    put_frame(task.orig.frame);
    return fail_alloc(lane, task);
  }
  frames().set_contents(*fresh, frames().contents(task.orig.frame));
  task.copy = *fresh;
  task.pc = Pc::WpInstall;
  return std::nullopt;
}

// Back under the lock: the copy replaces the page only if the PTE is the
// one the fault decided on; else another task served it, and this one
// drops its copy and retries the store.
std::optional<Outcome> SteppedModel::wp_install(Lane lane, Task& task) {
  const Op& op = task.op;
  Pte& pte = space_of(op.pid).page_table[op.vpn];
  if (wp_pte_same(pte, task.orig)) {
    put_frame(task.orig.frame);  // the PTE's reference to the old page
    pte_map_own(pte, task.copy);
    wp_flush(space_id(op.pid), op.vpn, lane);
    note_fault(task.fault, Fault::CowCopy);
  } else {
    frames().frame_put(task.copy);
  }
  put_frame(task.orig.frame);  // the fault's own hold on it
  task.copy = kNoFrame;
  mmap_read_unlock(op.pid);
  task.pc = Pc::Access;
  return std::nullopt;
}

// --- get_user_pages: memwrite ----------------------------------------------

// follow_page_mask, for a forced write: the PTE must allow the write, or
// (can_follow_write_pte) map a private copy known to be this task's alone,
// which a COW break on a read-only mapping leaves read-only.
std::optional<Outcome> SteppedModel::gup_follow(Lane lane, Task& task) {
  (void)lane;
  const Op& op = task.op;
  Space& s = space_of(op.pid);
  const Pte& pte = s.page_table[op.vpn];
  bool followable =
      pte.present &&
      (!task.foll_write || pte.writable ||
       (s.vmas[op.vpn].kind == MapKind::Text && !is_cache_frame(pte.frame) && pte.exclusive));
  if (!followable) {
    task.pc = Pc::GupFaultIn;
    return std::nullopt;
  }
  frames().frame_get(pte.frame);
  task.page = pte.frame;
  task.pc = Pc::GupStore;
  return std::nullopt;
}

// faultin_page: handle_mm_fault as a write while FOLL_WRITE is asked, then
// back to the follow.
std::optional<Outcome> SteppedModel::gup_fault_in(Lane lane, Task& task) {
  const Op& op = task.op;
  Space& s = space_of(op.pid);
  Pte& pte = s.page_table[op.vpn];
  MapKind kind = s.vmas[op.vpn].kind;
  if (!bring_in(s, op.vpn, task.foll_write, task.fault)) return fail_alloc(lane, task);
  if (task.foll_write && pte.present && !pte.writable) {
    FaultResult r = kind == MapKind::Text ? force_cow(pte) : wp_fault(pte);
    if (r.status == Status::OutOfMemory) return fail_alloc(lane, task);
    if (r.status != Status::Ok) {
      mmap_read_unlock(op.pid);
      return finish(lane, Outcome::error(r.status));
    }
    note_fault(task.fault, r.fault);
    wp_flush(space_id(op.pid), op.vpn, lane);  // a copy moved the page
    if (kind == MapKind::Text) task.foll_write = gup_keeps_write_after_cow();
  }
  task.pc = Pc::GupFollow;
  return std::nullopt;
}

// The kernel's store through the page GUP took, then put_page.
std::optional<Outcome> SteppedModel::gup_store(Lane lane, Task& task) {
  const Op& op = task.op;
  frames().set_word(task.page, op.word, op.value);
  put_frame(task.page);
  task.page = kNoFrame;
  mmap_read_unlock(op.pid);
  return finish(lane, Outcome::wrote(task.fault));
}

// --- pin: GUP-fast, then the slow path --------------------------------------

std::optional<Outcome> SteppedModel::fast_walk(Lane lane, Task& task) {
  (void)lane;
  const Op& op = task.op;
  const Space& s = space_of(op.pid);
  const Pte& pte = s.page_table[op.vpn];
  MapKind kind = s.vmas[op.vpn].kind;
  bool must_unshare = !op.rw && policy_info(config().policy).ro_pin_unshares && pte.present &&
                      fork_shares_cow(kind, pte) && !is_cache_frame(pte.frame) && !pte.exclusive;
  bool fast =
      write_protect_seq_ % 2 == 0 && pte.present && (!op.rw || pte.writable) && !must_unshare;
  if (!fast) {
    task.pc = Pc::PinLock;
    return std::nullopt;
  }
  task.orig = pte;
  task.seq = write_protect_seq_;
  task.pc = Pc::FastGrab;
  return std::nullopt;
}

std::optional<Outcome> SteppedModel::fast_recheck(Lane lane, Task& task) {
  const Op& op = task.op;
  const Pte& pte = space_of(op.pid).page_table[op.vpn];
  if (gup_fast_changed(task, pte)) {
    put_frame(task.orig.frame);  // give the reference back; the slow path decides
    task.pc = Pc::PinLock;
    return std::nullopt;
  }
  PinId id = state_.next_pin++;
  state_.pins[id] = Pin{task.orig.frame, op.rw};
  return finish(lane, Outcome::pinned(id, task.fault));
}

std::optional<Outcome> SteppedModel::pin_fault(Lane lane, Task& task) {
  const Op& op = task.op;
  Outcome out = do_pin(space_of(op.pid), op.vpn, op.rw);
  if (out.status == Status::OutOfMemory) return fail_alloc(lane, task);
  flush_tlb_page(space_id(op.pid), op.vpn, lane);  // an unshare moved the page
  mmap_read_unlock(op.pid);
  return finish(lane, out);
}

// --- madvise and fork -------------------------------------------------------

// The whole range in one step, for the reason fork_copy gives: a sibling's
// store to a page zapped already survives while its earlier store to a
// page zapped later does not, which no instant of madvise explains.
std::optional<Outcome> SteppedModel::zap(Lane lane, Task& task) {
  const Op& op = task.op;
  for (Vpn vpn = op.vpn; vpn < op.vpn + op.count; ++vpn) {
    exit_drop_page(space_of(op.pid).page_table[vpn]);
    flush_tlb_page(space_id(op.pid), vpn, lane);
  }
  mmap_read_unlock(op.pid);
  return finish(lane, Outcome::ok());
}

// Every page in one step. A copy page by page would let a sibling thread's
// store to a page fork copies early (a pinned one, which stays writable)
// miss the child while its next store, to a page not yet copied, reaches
// it: a child no instant of fork explains.
std::optional<Outcome> SteppedModel::fork_copy(Lane lane, Task& task) {
  const Op& op = task.op;
  std::uint32_t space = space_id(op.pid);
  for (Vpn vpn = 0; vpn < config().pages; ++vpn) {
    if (!fork_page(space_of(op.pid), task.child, vpn))
      return fork_abort(lane, task, Status::OutOfMemory);
    flush_tlb_page(space, vpn, lane);
  }
  task.pc = Pc::ForkDone;
  return std::nullopt;
}

// The child's pages go back; the parent's write-protected ones stay so,
// which no program can tell.
std::optional<Outcome> SteppedModel::fork_abort(Lane lane, Task& task, Status status) {
  for (Pte& pte : task.child.page_table) exit_drop_page(pte);
  ++write_protect_seq_;
  locks_.erase(space_id(task.op.pid));
  return finish(lane, Outcome::error(status));
}

// The process limit is counted here, at the end: forks of other spaces
// run at the same time.
std::optional<Outcome> SteppedModel::fork_done(Lane lane, Task& task) {
  if (state_.procs.size() >= config().procs) return fork_abort(lane, task, Status::ProcLimit);
  Pid child = fork_install(std::move(task.child));
  ++write_protect_seq_;
  locks_.erase(space_id(task.op.pid));
  return finish(lane, Outcome::forked(child));
}

}  // namespace cow::model
