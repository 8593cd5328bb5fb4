#include "impl/plugin/reply_decode.h"

#include <fmt/format.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "cowcheck/cow_abi.h"

namespace cow::plugin {

namespace {

// The ABI's statuses map one to one, but for COW_UNSUPPORTED, which is no
// outcome (the caller throws UnsupportedOp). The switch is over the wire's
// word, not cow_status, because a plug-in may return any number.
std::optional<Status> to_status(std::uint32_t s) {
  switch (s) {
    case COW_OK: return Status::Ok;
    case COW_NO_SUCH_PROCESS: return Status::NoSuchProcess;
    case COW_BAD_ADDRESS: return Status::BadAddress;
    case COW_PROT_FAULT: return Status::ProtFault;
    case COW_OUT_OF_MEMORY: return Status::OutOfMemory;
    case COW_PROC_LIMIT: return Status::ProcLimit;
    case COW_SUSPENDED: return Status::Suspended;
    case COW_KILLED: return Status::Killed;
    case COW_BUSY: return Status::Busy;
    case COW_NO_SUCH_PIN: return Status::NoSuchPin;
    default: return std::nullopt;
  }
}

std::optional<Fault> to_fault(std::uint32_t f) {
  switch (f) {
    case COW_FAULT_NONE: return Fault::None;
    case COW_FAULT_COPY: return Fault::CowCopy;
    case COW_FAULT_REUSE: return Fault::CowReuse;
    case COW_FAULT_ZERO_FILL: return Fault::ZeroFill;
    case COW_FAULT_SWAP_IN: return Fault::SwapIn;
    case COW_FAULT_PAGE_IN: return Fault::PageIn;
    default: return std::nullopt;
  }
}

// The ABI entry point that serves ops of this kind ("read", "mmap", ...).
std::string_view entry_point(const Op& op) { return op_info(op.kind).abi_entry; }

// The ops whose outcome may carry a fault.
bool may_fault(OpKind kind) {
  return kind == OpKind::Write || kind == OpKind::Read || kind == OpKind::Pin ||
         kind == OpKind::Copyout;
}

bool is_bool(std::uint32_t v) { return v <= 1; }

PageData page(const std::uint32_t (&words)[wire::kWords], std::uint32_t used) {
  PageData data{};
  for (std::uint32_t w = 0; w < kMaxWords && w < used; ++w) data[w] = words[w];
  return data;
}

// Reads `count` records, once `count` is known to be within the machine's
// bound.
template <class T>
std::vector<T> read_records(ReplySource& source, std::uint32_t count) {
  std::vector<T> records(count);
  if (count > 0) source.receive(records.data(), records.size() * sizeof(T));
  return records;
}

// The slots a machine has: one per page of every process at most.
std::uint64_t slot_count(const Config& config) {
  return std::uint64_t{config.pages} * config.procs;
}

void check_pte(ReplySource& source, const Config& config, const wire::PteRecord& p) {
  std::string where = fmt::format("pte(pid {}, vpn {})", p.pid, p.vpn);
  if (!is_bool(p.present) || !is_bool(p.writable) || !is_bool(p.cow) || !is_bool(p.exclusive))
    source.reject(
        fmt::format("{} returned present {}, writable {}, cow {}, exclusive {}: "
                    "each must be 0 or 1",
                    where, p.present, p.writable, p.cow, p.exclusive));
  if (p.kind > COW_MAP_SHARED_FILE)
    source.reject(
        fmt::format("{} returned kind {}, which the ABI does not define "
                    "(cow_map_kind 0-5)",
                    where, p.kind));
  if (p.present && p.frame >= config.frames)
    source.reject(fmt::format("{} returned frame {}, but the machine has {} frames", where, p.frame,
                              config.frames));
  if (!p.present && p.slot != COW_NO_SLOT && p.slot >= slot_count(config))
    source.reject(fmt::format("{} returned slot {}, but the machine has {} swap slots", where,
                              p.slot, slot_count(config)));
}

}  // namespace

Outcome decode_outcome(const wire::Reply& reply, const Op& op, ReplySource& source) {
  std::optional<Status> status = to_status(reply.status);
  if (!status)
    source.reject(
        fmt::format("{}() returned status {} to '{}', which the ABI does not define "
                    "(cow_status 0-10)",
                    entry_point(op), reply.status, to_string(op)));
  std::optional<Fault> fault = to_fault(reply.fault);
  if (!fault)
    source.reject(
        fmt::format("{}() reported fault {} for '{}', which the ABI does not define "
                    "(cow_fault 0-5)",
                    entry_point(op), reply.fault, to_string(op)));
  Outcome outcome{*status, *fault, 0, 0, 0};
  if (outcome.status == Status::Ok) {
    if (op.kind == OpKind::Fork || op.kind == OpKind::Vfork) outcome.child = reply.child;
    if (op.kind == OpKind::Read || op.kind == OpKind::Unpin) outcome.value = reply.value;
    if (op.kind == OpKind::Pin) outcome.pin = reply.pin;
    if (!may_fault(op.kind)) outcome.fault = Fault::None;
  } else {
    outcome.fault = Fault::None;
  }
  return outcome;
}

void ViewCopy::clear() {
  tables_.clear();
  frames_.clear();
  procs_.clear();
  slots_.clear();
  pins_.clear();
  free_frames_ = 0;
  built_.reset();
}

void ViewCopy::read(ReplySource& source, std::span<const std::uint32_t> live,
                    std::span<const std::uint32_t> pins) {
  wire::ViewHeader header{};
  source.receive(&header, sizeof header);
  // Each count is checked before anything is allocated for it.
  if (header.procs != live.size())
    source.reject(
        fmt::format("the view shows {} processes, {} are live", header.procs, live.size()));
  if (header.pins != pins.size())
    source.reject(fmt::format("the view shows {} pins, {} are held", header.pins, pins.size()));
  if (header.frames > config_.frames)
    source.reject(
        fmt::format("the view shows {} frames, the machine has {}", header.frames, config_.frames));
  if (header.slots > slot_count(config_))
    source.reject(fmt::format("the view shows {} swap slots, the machine has at most {}",
                              header.slots, slot_count(config_)));
  if (header.free_frames > config_.frames)
    source.reject(fmt::format("free_frames() returned {}, but the machine has {} frames",
                              header.free_frames, config_.frames));

  auto procs = read_records<wire::ProcRecord>(source, header.procs);
  std::map<Pid, Pid> space_of;  // of the live processes
  for (std::size_t i = 0; i < procs.size(); ++i) {
    const wire::ProcRecord& p = procs[i];
    if (p.pid != live[i])
      source.reject(fmt::format("the view shows pid {} where pid {} is live", p.pid, live[i]));
    if (!is_bool(p.live)) source.reject(fmt::format("proc(pid {}) live {}", p.pid, p.live));
    if (!p.live) continue;
    if (!is_bool(p.suspended))
      source.reject(fmt::format("proc(pid {}) returned suspended {}, which is not 0 or 1", p.pid,
                                p.suspended));
    space_of[p.pid] = p.space;
  }
  // A process runs in its own space or in that of a live process that runs
  // in its own: anything else names a page table that does not exist.
  std::map<Pid, std::vector<bool>> fresh;  // spaces not shown before: the pages shown now
  std::set<Pid> tables;
  for (const auto& [pid, space] : space_of) {
    auto owner = space_of.find(space);
    if (owner == space_of.end() || owner->second != space)
      source.reject(
          fmt::format("proc(pid {}) returned space {}, which is not the address space "
                      "of a live process",
                      pid, space));
    if (space != pid) continue;
    tables.insert(pid);
    if (!tables_.count(pid)) fresh[pid].assign(config_.pages, false);
  }

  if (header.ptes > tables.size() * std::uint64_t{config_.pages})
    source.reject(fmt::format("the view shows {} PTEs, {} address spaces of {} pages have {}",
                              header.ptes, tables.size(), config_.pages,
                              tables.size() * config_.pages));
  auto ptes = read_records<wire::PteRecord>(source, header.ptes);
  for (const wire::PteRecord& p : ptes) {
    if (!tables.count(p.pid) || p.vpn >= config_.pages)
      source.reject(
          fmt::format("the view shows pid {} vpn {}, which is no page of a live "
                      "address space",
                      p.pid, p.vpn));
    check_pte(source, config_, p);
    if (auto f = fresh.find(p.pid); f != fresh.end()) f->second[p.vpn] = true;
  }
  for (const auto& [pid, shown] : fresh)
    for (Vpn vpn = 0; vpn < config_.pages; ++vpn)
      if (!shown[vpn])
        source.reject(
            fmt::format("the view leaves out pte(pid {}, vpn {}) of an address space it shows "
                        "for the first time",
                        pid, vpn));

  auto frames = read_records<wire::FrameRecord>(source, header.frames);
  std::vector<bool> frame_shown(config_.frames, false);
  for (const wire::FrameRecord& f : frames) {
    if (f.frame >= config_.frames)
      source.reject(fmt::format("the view shows frame {}, but the machine has {} frames", f.frame,
                                config_.frames));
    if (!is_bool(f.cache))
      source.reject(
          fmt::format("frame_cache(frame {}) returned {}, which is not 0 or 1", f.frame, f.cache));
    frame_shown[f.frame] = true;
  }
  if (frames_.empty())
    for (Pfn f = 0; f < config_.frames; ++f)
      if (!frame_shown[f])
        source.reject(fmt::format("the first view of an instance leaves out frame {}", f));

  auto slots = read_records<wire::SlotRecord>(source, header.slots);
  std::set<Slot> seen;
  for (const wire::SlotRecord& s : slots)
    if (s.slot >= slot_count(config_) || !seen.insert(s.slot).second)
      source.reject(fmt::format("the view shows swap slot {} twice or outside the machine's {}",
                                s.slot, slot_count(config_)));

  auto pin_records = read_records<wire::PinRecord>(source, header.pins);
  for (std::size_t i = 0; i < pin_records.size(); ++i) {
    const wire::PinRecord& p = pin_records[i];
    if (p.id != pins[i])
      source.reject(fmt::format("the view shows pin {} where pin {} is held", p.id, pins[i]));
    if (!is_bool(p.held)) source.reject(fmt::format("pin_view(id {}) held {}", p.id, p.held));
    if (!p.held) continue;
    if (p.frame >= config_.frames)
      source.reject(fmt::format("pin_view(id {}) returned frame {}, but the machine has {} frames",
                                p.id, p.frame, config_.frames));
    if (!is_bool(p.rw))
      source.reject(fmt::format("pin_view(id {}) returned rw {}, which is not 0 or 1", p.id, p.rw));
  }

  // Every value checked: apply.
  std::erase_if(tables_, [&](const auto& entry) { return !tables.count(entry.first); });
  for (const auto& [pid, shown] : fresh) tables_[pid].resize(config_.pages);
  for (const wire::PteRecord& p : ptes) tables_[p.pid][p.vpn] = p;
  frames_.resize(config_.frames);
  for (const wire::FrameRecord& f : frames) frames_[f.frame] = f;
  procs_ = std::move(procs);
  slots_ = std::move(slots);
  pins_ = std::move(pin_records);
  free_frames_ = header.free_frames;
  built_.reset();
}

const Snapshot& ViewCopy::snapshot() const {
  if (built_) return *built_;
  Snapshot& snap = built_.emplace();
  snap.total_frames = config_.frames;
  snap.free_frames = free_frames_;
  for (const wire::ProcRecord& p : procs_)
    if (p.live) snap.procs.push_back({p.pid, p.space, p.suspended != 0});
  std::vector<bool> named(config_.frames, false);
  for (const auto& [pid, ptes] : tables_) {
    for (const wire::PteRecord& p : ptes) {
      PteView view;
      view.pid = pid;
      view.vpn = p.vpn;
      view.kind = static_cast<MapKind>(p.kind);
      view.present = p.present != 0;
      view.writable = p.writable != 0;
      view.cow = p.cow != 0;
      view.exclusive = p.exclusive != 0;
      view.frame = p.present ? p.frame : kNoFrame;
      view.slot = p.present || p.slot == COW_NO_SLOT ? kNoSlot : p.slot;
      if (view.present) named[view.frame] = true;
      snap.ptes.push_back(view);
    }
  }
  for (const wire::PinRecord& p : pins_) {
    if (!p.held) continue;
    snap.pins.push_back({p.id, p.frame, p.rw != 0});
    named[p.frame] = true;
  }
  for (Pfn f = 0; f < frames_.size(); ++f) {
    if (frames_[f].refcount == 0 && !named[f]) continue;
    snap.frames.push_back(
        {f, frames_[f].refcount, page(frames_[f].contents, config_.words), frames_[f].cache != 0});
  }
  for (const wire::SlotRecord& s : slots_)
    snap.slots.push_back({s.slot, s.refcount, page(s.contents, config_.words)});
  return snap;
}

Snapshot read_snapshot(ReplySource& source, const Config& config,
                       std::span<const std::uint32_t> live, std::span<const std::uint32_t> pins) {
  wire::Reply reply{};
  source.receive(&reply, sizeof reply);
  if (reply.status != COW_OK)
    source.reject(fmt::format("the worker answered a reset with status {}", reply.status));
  ViewCopy view(config);
  view.read(source, live, pins);
  return view.snapshot();
}

}  // namespace cow::plugin
