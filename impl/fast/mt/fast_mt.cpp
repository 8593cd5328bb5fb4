#include "impl/fast/mt/fast_mt.h"

#include <algorithm>
#include <array>
#include <latch>
#include <string>
#include <thread>

#include "spec/panic.h"
#include "spec/reuse_policy.h"

namespace cow::fast {

namespace {

constexpr std::array<MtVariant, 3> kMtVariants = {{
    {"fast-mt",
     "several threads at once: a page-table lock and an mmap lock per space, per-task "
     "translation caches with shootdown (fork, thread, exit, write, read, madvise)",
     MtMutation::None, false},
    {"fast-mt-mutant:no-pte-recheck",
     "the write fault installs its copy without re-checking the PTE: of two threads faulting "
     "at once, one write is lost",
     MtMutation::NoPteRecheck, true},
    {"fast-mt-mutant:no-tlb-flush",
     "a COW break does not flush the other tasks' cached translations: a sibling thread keeps "
     "reading the old frame",
     MtMutation::NoTlbFlush, true},
}};

bool range_ok(const Op& op, const Config& c) {
  return op.count > 0 && op.vpn < c.pages && op.count <= c.pages - op.vpn;
}

}  // namespace

std::span<const MtVariant> mt_variants() { return kMtVariants; }

std::unique_ptr<Implementation> make_fast_mt(const Config& config, MtMutation mutation) {
  return std::make_unique<FastMt>(config, mutation);
}

// The first process maps every page, each in its own zero-filled frame.
FastMt::FastMt(const Config& config, MtMutation mutation, bool resched)
    : config_(config), mutation_(mutation), resched_(resched), frames_(config.frames) {
  if (config.frames < config.pages || config.words > kMaxWords)
    panic("FastMt", "the configuration needs a frame per page and at most kMaxWords words");
  auto init = std::make_shared<Task>();
  init->pid = kInitPid;
  init->group = kInitPid;
  init->mm = std::make_shared<Mm>(config.pages);
  for (Vpn vpn = 0; vpn < config.pages; ++vpn) {
    Pfn frame = *frames_.alloc();
    frames_.zero(frame);
    init->mm->ptes[vpn] = pte_make_page(frame);
  }
  init->mm->tasks.push_back(init.get());
  tasks_[kInitPid] = std::move(init);
}

FastMt::~FastMt() = default;

Outcome FastMt::apply(const Op& op) { return call(op); }

// One thread per lane, released together by a latch so that the lanes
// overlap from their first call; each call is stamped by the shared clock
// just before it starts and just after it returns.
std::vector<Call> FastMt::run_lanes(const Lanes& lanes) {
  for (const std::vector<Op>& lane : lanes)
    for (const Op& op : lane)
      if (!op_in(kMtOps, op.kind))
        throw UnsupportedOp("fast-mt has no op " + std::string(op_info(op.kind).name));
  std::vector<std::vector<Call>> calls(lanes.size());
  std::latch start(static_cast<std::ptrdiff_t>(lanes.size()));
  std::vector<std::thread> threads;
  threads.reserve(lanes.size());
  for (std::uint32_t lane = 0; lane < lanes.size(); ++lane)
    threads.emplace_back([this, lane, &lanes, &calls, &start] {
      start.arrive_and_wait();
      for (const Op& op : lanes[lane]) {
        Call& c = calls[lane].emplace_back();
        c.lane = lane;
        c.op = op;
        c.invoked = ticks_.fetch_add(1);
        c.outcome = call(op);
        c.returned = ticks_.fetch_add(1);
      }
    });
  for (std::thread& t : threads) t.join();
  std::vector<Call> history;
  for (std::vector<Call>& lane : calls) history.insert(history.end(), lane.begin(), lane.end());
  return history;
}

std::shared_ptr<FastMt::Task> FastMt::find(Pid pid) const {
  std::shared_lock table(task_table_lock_);
  auto it = tasks_.find(pid);
  return it == tasks_.end() ? nullptr : it->second;
}

// The checks in the semantics' order: the process, then the op's own
// arguments. The task's op lock makes its ops, exit included, one at a time.
Outcome FastMt::call(const Op& op) {
  if (!op_in(kMtOps, op.kind))
    throw UnsupportedOp("fast-mt has no op " + std::string(op_info(op.kind).name));
  std::shared_ptr<Task> task = find(op.pid);
  if (!task) return Outcome::error(Status::NoSuchProcess);
  std::lock_guard op_lock(task->op_lock);
  if (!task->alive) return Outcome::error(Status::NoSuchProcess);
  switch (op.kind) {
    case OpKind::Fork: return do_fork(*task);
    case OpKind::Thread: return do_thread(*task);
    case OpKind::Exit: exit_task(*task); return Outcome::ok();
    case OpKind::Madvise:
      if (!range_ok(op, config_)) return Outcome::error(Status::BadAddress);
      return do_madvise(*task, op.vpn, op.count);
    case OpKind::Write:
    case OpKind::Read:
      if (op.vpn >= config_.pages || op.word >= config_.words)
        return Outcome::error(Status::BadAddress);
      return do_access(*task, op.vpn, op.word,
                       op.kind == OpKind::Write ? std::optional<Value>(op.value) : std::nullopt);
    default: break;
  }
  panic("FastMt::call", "an op outside kMtOps");
}

// A user load or store: through the task's cached translation when it
// allows the access, else the fault handler fills it and the access is
// retried, as the hardware retries the faulting instruction. The access
// holds the translation lock, so a shootdown waits for it to finish.
Outcome FastMt::do_access(Task& task, Vpn vpn, std::uint32_t word, std::optional<Value> value) {
  Fault fault = Fault::None;
  for (;;) {
    {
      std::lock_guard tlb(task.tlb_lock);
      const TranslationCache::Entry* hit = task.tlb.lookup(vpn);
      if (hit && (!value || hit->writable)) {
        if (!value) return Outcome::read(frames_.load(hit->frame, word), fault);
        frames_.store(hit->frame, word, *value);
        return Outcome::wrote(fault);
      }
    }
    FaultResult r = handle_fault(task, vpn, value.has_value());
    if (r.status == Status::OutOfMemory) return out_of_memory(task);
    if (r.untouched) return Outcome::read(0);
    if (r.fault != Fault::None) fault = r.fault;
  }
}

// handle_mm_fault for one private anonymous page: a zero-fill
// (do_anonymous_page), or the write fault (do_wp_page), each deciding under
// the page-table lock and allocating outside it. Returns with the task's
// translation filled, unless the page is untouched and only read.
FastMt::FaultResult FastMt::handle_fault(Task& task, Vpn vpn, bool write) {
  Mm& mm = *task.mm;
  std::shared_lock mmap(mm.mmap_lock);
  for (;;) {
    std::unique_lock ptl(mm.ptl(vpn));
    Pte pte = mm.ptes[vpn];
    if (!pte_present(pte)) {
      if (!write) return {Status::Ok, Fault::None, true};
      ptl.unlock();
      std::optional<Pfn> frame = frames_.alloc();
      if (!frame) return {Status::OutOfMemory, Fault::None};
      frames_.zero(*frame);
      ptl.lock();
      if (mm.ptes[vpn] != pte) {  // another task faulted it in meanwhile
        ptl.unlock();
        frames_.put(*frame);
        continue;
      }
      mm.ptes[vpn] = pte_make_page(*frame);
      tlb_fill(task, vpn, mm.ptes[vpn]);
      return {Status::Ok, Fault::ZeroFill};
    }
    if (!write || pte_writable(pte)) {
      tlb_fill(task, vpn, pte);
      return {};
    }
    if (can_reuse(pte)) {
      // Read-only to writable on the same frame: a cached read-only
      // translation is still right, so nothing is flushed.
      mm.ptes[vpn] = pte_make_writable(pte);
      tlb_fill(task, vpn, mm.ptes[vpn]);
      return {Status::Ok, Fault::CowReuse};
    }
    // wp_page_copy: the old frame is held while it is copied without the lock.
    Pfn old = pte_frame(pte);
    frames_.get(old);
    ptl.unlock();
    std::optional<Pfn> copy = frames_.alloc();
    if (!copy) {
      frames_.put(old);
      return {Status::OutOfMemory, Fault::None};
    }
    frames_.copy(*copy, old);
    // The allocation may sleep (cond_resched): others run here. Yielding
    // the CPU makes the window as wide as a sleep would, so a race in it
    // is met in a few runs rather than by timing luck.
    if (resched_) std::this_thread::yield();
    ptl.lock();
    Pte now = mm.ptes[vpn];
    if (now != pte && !mutated(MtMutation::NoPteRecheck)) {  // pte_same failed: start over
      ptl.unlock();
      frames_.put(*copy);
      frames_.put(old);
      continue;
    }
    mm.ptes[vpn] = pte_make_page(*copy);
    if (mutated(MtMutation::NoTlbFlush)) {
      std::lock_guard tlb(task.tlb_lock);
      task.tlb.flush_page(vpn);
    } else {
      shootdown(mm, vpn);
    }
    tlb_fill(task, vpn, mm.ptes[vpn]);
    ptl.unlock();
    frames_.put(old);                                   // the reference held for the copy
    if (pte_present(now)) frames_.put(pte_frame(now));  // the one the replaced PTE held
    return {Status::Ok, Fault::CowCopy};
  }
}

// The policy on the frame's references. No pins here, so the present PTEs
// on a frame are its refcount when no fault holds it for a copy, and more
// while one does: a fault that meets such a frame copies, which is safe.
bool FastMt::can_reuse(Pte pte) const {
  std::uint32_t refs = frames_.refcount(pte_frame(pte));
  return policy_reuses(config_.policy, pte_exclusive(pte), refs, refs);
}

void FastMt::tlb_fill(Task& task, Vpn vpn, Pte pte) {
  std::lock_guard tlb(task.tlb_lock);
  task.tlb.fill(vpn, pte_frame(pte), pte_writable(pte));
}

void FastMt::shootdown(Mm& mm, Vpn vpn) {
  std::lock_guard list(mm.tasks_lock);
  for (Task* task : mm.tasks) {
    std::lock_guard tlb(task->tlb_lock);
    if (vpn == kAllPages)
      task->tlb.flush_all();
    else
      task->tlb.flush_page(vpn);
  }
}

// dup_mmap: the parent's space is write-locked, so no fault runs in it; its
// private pages become copy-on-write on both sides and every translation
// its tasks cached is flushed before the child is named. A store through a
// translation not yet flushed lands before the fork, in the frame both now
// share. The ProcLimit is checked again when the child is named: a thread
// made meanwhile may have taken the last place.
Outcome FastMt::do_fork(Task& parent) {
  {
    std::shared_lock table(task_table_lock_);
    if (tasks_.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  }
  Mm& mm = *parent.mm;
  auto child = std::make_shared<Task>();
  child->mm = std::make_shared<Mm>(config_.pages);
  child->mm->tasks.push_back(child.get());
  std::unique_lock mmap(mm.mmap_lock);
  for (Vpn vpn = 0; vpn < config_.pages; ++vpn) {
    std::lock_guard ptl(mm.ptl(vpn));
    Pte pte = mm.ptes[vpn];
    if (!pte_present(pte)) continue;  // untouched, as the child's is
    pte = pte_fork_protect(pte);
    mm.ptes[vpn] = pte;
    child->mm->ptes[vpn] = pte;
    frames_.get(pte_frame(pte));
  }
  // No fault can fill a translation while the mmap lock is held exclusive.
  shootdown(mm, kAllPages);
  std::unique_lock table(task_table_lock_);
  if (tasks_.size() >= config_.procs) {
    table.unlock();
    mm_teardown(*child->mm);
    return Outcome::error(Status::ProcLimit);
  }
  Pid pid = next_pid_++;
  child->pid = pid;
  child->group = pid;
  tasks_[pid] = child;
  return Outcome::forked(pid);
}

// clone(CLONE_VM|CLONE_THREAD): a task in the creator's space and group,
// with an empty translation cache.
Outcome FastMt::do_thread(Task& creator) {
  auto task = std::make_shared<Task>();
  task->mm = creator.mm;
  task->group = creator.group;
  std::unique_lock table(task_table_lock_);
  if (tasks_.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
  Pid pid = next_pid_++;
  task->pid = pid;
  {
    std::lock_guard list(creator.mm->tasks_lock);
    creator.mm->tasks.push_back(task.get());
  }
  tasks_[pid] = task;
  return Outcome::forked(pid);
}

// MADV_DONTNEED over the range, atomic as the semantics has it: the PTEs are
// cleared and every cached translation of them flushed while every
// page-table lock of the range is held; the frames are dropped after.
Outcome FastMt::do_madvise(Task& task, Vpn vpn, std::uint32_t count) {
  Mm& mm = *task.mm;
  std::shared_lock mmap(mm.mmap_lock);
  std::vector<Pfn> dropped;
  {
    std::vector<std::unique_lock<std::mutex>> held;
    for (Vpn v = vpn; v < vpn + count; ++v)
      if (held.empty() || held.back().mutex() != &mm.ptl(v)) held.emplace_back(mm.ptl(v));
    for (Vpn v = vpn; v < vpn + count; ++v) {
      Pte pte = mm.ptes[v];
      if (!pte_present(pte)) continue;
      mm.ptes[v] = 0;
      dropped.push_back(pte_frame(pte));
      shootdown(mm, v);
    }
  }
  for (Pfn frame : dropped) frames_.put(frame);
  return Outcome::ok();
}

// The task ends: its pid goes first (the exit takes effect there), then
// its place in the space; the last task out drops the space.
void FastMt::exit_task(Task& task) {
  task.alive = false;
  {
    std::unique_lock table(task_table_lock_);
    tasks_.erase(task.pid);
  }
  Mm& mm = *task.mm;
  bool last = false;
  {
    std::lock_guard list(mm.tasks_lock);
    std::erase(mm.tasks, &task);
    last = mm.tasks.empty();
  }
  if (last) mm_teardown(mm);
}

Outcome FastMt::out_of_memory(Task& task) {
  if (config_.oom == OomPolicy::Kill) {
    exit_task(task);
    return Outcome::error(Status::Killed);
  }
  return Outcome::error(Status::OutOfMemory);
}

void FastMt::mm_teardown(Mm& mm) {
  std::unique_lock mmap(mm.mmap_lock);
  for (Vpn vpn = 0; vpn < mm.ptes.size(); ++vpn) {
    std::lock_guard ptl(mm.ptl(vpn));
    if (pte_present(mm.ptes[vpn])) frames_.put(pte_frame(mm.ptes[vpn]));
    mm.ptes[vpn] = 0;
  }
}

// Tasks in pid order; a space is named by its lowest pid, which lists its PTEs.
std::optional<Snapshot> FastMt::snapshot() const {
  std::shared_lock table(task_table_lock_);
  Snapshot snap;
  snap.total_frames = frames_.size();
  snap.free_frames = frames_.free_count();
  std::vector<bool> named(frames_.size(), false);
  std::map<const Mm*, Pid> owners;
  for (const auto& [pid, task] : tasks_) {
    auto [owner, first] = owners.emplace(task->mm.get(), pid);
    snap.procs.push_back({pid, owner->second, false});
    if (!first) continue;
    for (Vpn vpn = 0; vpn < config_.pages; ++vpn) {
      Pte pte;
      {
        std::lock_guard ptl(task->mm->ptl(vpn));
        pte = task->mm->ptes[vpn];
      }
      PteView view{pid,
                   vpn,
                   MapKind::PrivateAnon,
                   pte_present(pte),
                   pte_writable(pte),
                   pte_cow(pte),
                   pte_exclusive(pte)};
      if (pte_present(pte)) {
        view.frame = pte_frame(pte);
        named[view.frame] = true;
      }
      snap.ptes.push_back(view);
    }
  }
  for (Pfn f = 0; f < frames_.size(); ++f)
    if (named[f] || frames_.refcount(f) != 0)
      snap.frames.push_back({f, frames_.refcount(f), frames_.contents(f), false});
  return snap;
}

}  // namespace cow::fast
