#include "spec/semantics.h"

namespace cow {

Semantics::Semantics(const Config& config) : config_(config) {
  for (Vpn p = 0; p < config.pages; ++p) {
    Page file;
    for (std::uint32_t w = 0; w < config.words; ++w) file.data[w] = file_word(p, w);
    cells_.push_back(file);  // cell p is the file's page p
    cell_used_.push_back(true);
  }
  std::vector<Mapping> init;
  for (Vpn vpn = 0; vpn < config.pages; ++vpn)
    init.push_back(fresh_mapping(MapKind::PrivateAnon, vpn));
  spaces_.emplace(next_space_, std::move(init));
  procs_[kInitPid] = Process{next_space_++, 0, 0, kInitPid, kInitPid};
}

Semantics::CellId Semantics::new_cell(const Page& page) {
  CellId id = config_.pages;  // the file's cells are never free
  while (id < cells_.size() && cell_used_[id]) ++id;
  if (id == cells_.size()) {
    cells_.push_back(page);
    cell_used_.push_back(true);
  } else {
    cells_[id] = page;
    cell_used_[id] = true;
  }
  return id;
}

Semantics::Mapping Semantics::fresh_mapping(MapKind kind, Vpn vpn) {
  switch (kind) {
    case MapKind::PrivateAnon: return {kind, new_cell(Page{}), true};
    case MapKind::SharedAnon: return {kind, new_cell(Page{}), false};
    case MapKind::Text:
    case MapKind::PrivateFile:
    case MapKind::SharedFile: return {kind, vpn, false};
    case MapKind::None: break;
  }
  return {};
}

const Semantics::Page* Semantics::view(Pid pid, Vpn vpn) const {
  const std::vector<Mapping>& s = space(pid);
  if (vpn >= s.size() || s[vpn].kind == MapKind::None) return nullptr;
  return &cells_.at(s[vpn].cell);
}

namespace {

bool range_ok(const Op& op, const Config& c) {
  return op.count > 0 && op.vpn < c.pages && op.count <= c.pages - op.vpn;
}

// Ops that may need a frame, and so may meet an empty free list.
bool may_need_frame(OpKind kind) { return op_info(kind).may_need_frame; }

// A private copy goes with its process across fork. Text is read-only, but a
// forced write (/proc/PID/mem) gives the writer a private copy of it too.
bool copied_by_fork(const Semantics::Mapping& m) {
  return m.own && (is_private(m.kind) || m.kind == MapKind::Text);
}

}  // namespace

Outcome Semantics::expect_page_op(const Op& op, const Process& proc) const {
  const std::vector<Mapping>& s = spaces_.at(proc.space);
  if (op.vpn >= config_.pages || op.word >= config_.words || s[op.vpn].kind == MapKind::None)
    return Outcome::error(Status::BadAddress);
  MapKind kind = s[op.vpn].kind;
  switch (op.kind) {
    case OpKind::Write:
    case OpKind::Copyout:
      return kind == MapKind::Text ? Outcome::error(Status::ProtFault) : Outcome::ok();
    case OpKind::Memwrite: return Outcome::ok();  // forced: even text
    case OpKind::Read: return Outcome::read(cells_.at(s[op.vpn].cell).data[op.word]);
    case OpKind::Pin:
      if (op.rw && kind == MapKind::Text) return Outcome::error(Status::ProtFault);
      return Outcome::pinned(next_pin_);
    default: return Outcome::ok();
  }
}

Outcome Semantics::expect(const Op& op) const {
  if (op.kind == OpKind::Unpin) {
    auto pin = pins_.find(op.pin);
    if (pin == pins_.end()) return Outcome::error(Status::NoSuchPin);
    if (op.word >= config_.words) return Outcome::error(Status::BadAddress);
    return Outcome::read(cells_.at(pin->second).data[op.word]);
  }
  auto it = procs_.find(op.pid);
  if (it == procs_.end()) return Outcome::error(Status::NoSuchProcess);
  const Process& proc = it->second;
  if (proc.suspended_by != 0) return Outcome::error(Status::Suspended);
  switch (op.kind) {
    case OpKind::Fork:
    case OpKind::Vfork:
    case OpKind::Thread:
      if (procs_.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
      return Outcome::forked(next_pid_);
    case OpKind::Exit:
    case OpKind::Exec: return Outcome::ok();
    case OpKind::Mmap:
      if (!range_ok(op, config_) || op.map == MapKind::None)
        return Outcome::error(Status::BadAddress);
      return Outcome::ok();
    case OpKind::Munmap:
    case OpKind::Madvise:
      return range_ok(op, config_) ? Outcome::ok() : Outcome::error(Status::BadAddress);
    default: return expect_page_op(op, proc);
  }
}

bool Semantics::allows(const Op& op, const Outcome& expected, const Outcome& actual) const {
  if (actual == expected) return true;
  if (expected.status != Status::Ok) return false;
  if (op.kind == OpKind::Swapout && actual.status == Status::Busy) return true;
  if (op.kind == OpKind::Mmap && config_.paging == Paging::Eager)
    return actual.status == Status::OutOfMemory;
  if (!may_need_frame(op.kind)) return false;
  if (actual.status == Status::OutOfMemory)
    return config_.oom == OomPolicy::Error || op.kind == OpKind::Fork;
  if (actual.status == Status::Killed)
    return config_.oom == OomPolicy::Kill && op.kind != OpKind::Fork;
  return false;
}

// Only the calling task is copied, as Linux forks a threaded process.
void Semantics::fork_space(Pid parent, Pid child) {
  std::vector<Mapping> copy = space(parent);
  for (Mapping& m : copy)
    if (copied_by_fork(m)) m.cell = new_cell(cells_.at(m.cell));
  spaces_.emplace(next_space_, std::move(copy));
  procs_[child] = Process{next_space_++, 0, 0, child, child};
}

// A task a vfork child made borrows the same space, but only the child
// itself wakes the parent.
void Semantics::leave_vfork(Pid pid) {
  Process& proc = procs_.at(pid);
  if (proc.vfork_parent == 0) return;
  auto parent = procs_.find(proc.vfork_parent);
  if (parent != procs_.end() && parent->second.suspended_by == pid) parent->second.suspended_by = 0;
  proc.vfork_parent = 0;
}

void Semantics::name_space(SpaceId space) {
  Pid owner = 0;
  for (auto& [pid, proc] : procs_)  // in pid order: the first is the lowest
    if (proc.space == space) {
      if (owner == 0) owner = pid;
      proc.owner = owner;
    }
}

void Semantics::end_process(Pid pid) {
  leave_vfork(pid);
  SpaceId space = procs_.at(pid).space;
  procs_.erase(pid);
  name_space(space);
  for (const auto& [other, proc] : procs_)
    if (proc.space == space) return;
  spaces_.erase(space);
}

// exec ends the other tasks of its thread group (de_thread) and starts the
// caller, which keeps its pid, in a fresh space.
void Semantics::exec_space(Pid pid) {
  leave_vfork(pid);
  Pid group = procs_.at(pid).group;
  std::vector<Pid> others;
  for (const auto& [other, proc] : procs_)
    if (other != pid && proc.group == group) others.push_back(other);
  for (Pid other : others) end_process(other);
  Process& proc = procs_.at(pid);
  SpaceId old = proc.space;
  std::vector<Mapping> fresh;
  for (Vpn vpn = 0; vpn < config_.pages; ++vpn)
    fresh.push_back(fresh_mapping(MapKind::PrivateAnon, vpn));
  spaces_.emplace(next_space_, std::move(fresh));
  proc.space = next_space_++;
  proc.owner = pid;
  name_space(old);
  bool shared = false;
  for (const auto& [other, p] : procs_) shared = shared || p.space == old;
  if (!shared) spaces_.erase(old);
}

void Semantics::own_page(Mapping& m) {
  if (m.own || !(is_private(m.kind) || m.kind == MapKind::Text)) return;
  m.cell = new_cell(cells_.at(m.cell));
  m.own = true;
}

void Semantics::store(const Op& op) {
  Mapping& m = spaces_.at(procs_.at(op.pid).space)[op.vpn];
  own_page(m);
  Page& page = cells_.at(m.cell);
  page.data[op.word] = op.value;
  page.writer[op.word] = op.pid;
}

void Semantics::apply(const Op& op, const Outcome& actual) {
  if (actual.status == Status::OutOfMemory) return;
  if (actual.status == Status::Killed) {
    if (live(op.pid)) end_process(op.pid);
    collect();
    return;
  }
  if (expect(op).status != Status::Ok) return;
  switch (op.kind) {
    case OpKind::Fork: fork_space(op.pid, next_pid_++); break;
    case OpKind::Vfork: {
      Pid child = next_pid_++;
      const Process& parent = procs_.at(op.pid);
      procs_[child] = Process{parent.space, op.pid, 0, child, parent.owner};
      procs_.at(op.pid).suspended_by = child;
      break;
    }
    case OpKind::Thread: {
      const Process& creator = procs_.at(op.pid);
      procs_[next_pid_] = Process{creator.space, 0, 0, creator.group, creator.owner};
      ++next_pid_;
      break;
    }
    case OpKind::Exit: end_process(op.pid); break;
    case OpKind::Exec: exec_space(op.pid); break;
    case OpKind::Mmap: {
      std::vector<Mapping>& s = spaces_.at(procs_.at(op.pid).space);
      for (Vpn vpn = op.vpn; vpn < op.vpn + op.count; ++vpn) s[vpn] = fresh_mapping(op.map, vpn);
      break;
    }
    case OpKind::Munmap: {
      std::vector<Mapping>& s = spaces_.at(procs_.at(op.pid).space);
      for (Vpn vpn = op.vpn; vpn < op.vpn + op.count; ++vpn) s[vpn] = Mapping{};
      break;
    }
    case OpKind::Madvise: {
      // The range's pages are dropped: a private anon page reads as zeros
      // again, a private file or text page as the file; shared ones keep
      // their object.
      std::vector<Mapping>& s = spaces_.at(procs_.at(op.pid).space);
      for (Vpn vpn = op.vpn; vpn < op.vpn + op.count; ++vpn)
        if (s[vpn].kind == MapKind::PrivateAnon || s[vpn].own)
          s[vpn] = fresh_mapping(s[vpn].kind, vpn);
      break;
    }
    case OpKind::Write:
    case OpKind::Copyout:
    case OpKind::Memwrite: store(op); break;
    case OpKind::Pin: {
      Mapping& m = spaces_.at(procs_.at(op.pid).space)[op.vpn];
      if (op.rw) own_page(m);
      if (op.rw) pin_rw_.insert(next_pin_);
      pins_[next_pin_++] = m.cell;
      break;
    }
    case OpKind::Unpin:
      pins_.erase(op.pin);
      pin_rw_.erase(op.pin);
      break;
    case OpKind::Read:
    case OpKind::Swapout: break;
  }
  // Only these can leave a cell unreachable.
  if (op.kind == OpKind::Exit || op.kind == OpKind::Exec || op.kind == OpKind::Mmap ||
      op.kind == OpKind::Munmap || op.kind == OpKind::Unpin || op.kind == OpKind::Madvise)
    collect();
}

void Semantics::collect() {
  std::vector<bool> reachable(cells_.size(), false);
  for (const auto& [id, space] : spaces_)
    for (const Mapping& m : space)
      if (m.kind != MapKind::None) reachable[m.cell] = true;
  for (const auto& [id, cell] : pins_) reachable[cell] = true;
  for (CellId id = config_.pages; id < cells_.size(); ++id)
    if (!reachable[id]) {
      cell_used_[id] = false;
      cells_[id] = Page{};
    }
}

}  // namespace cow
