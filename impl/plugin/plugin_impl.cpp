#include "impl/plugin/plugin_impl.h"

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "impl/plugin/wire.h"

namespace cow::plugin {

namespace {

static_assert(wire::kWords == kMaxWords);
// The ABI numbers its enums as the spec does; the wire carries them as is.
static_assert(static_cast<int>(MapKind::SharedFile) == 5 &&
              static_cast<int>(ReusePolicy::Exclusive) == 2 &&
              static_cast<int>(OomPolicy::Kill) == 1);

// The ABI's statuses map one to one, but for 6, COW_UNSUPPORTED, which is
// no outcome (the caller throws UnsupportedOp). Any other value is a
// plug-in bug that no outcome can express: it is reported as a crash.
Status to_status(std::uint32_t s, const Op& op) {
  switch (s) {
    case 0: return Status::Ok;
    case 1: return Status::NoSuchProcess;
    case 2: return Status::BadAddress;
    case 3: return Status::ProtFault;
    case 4: return Status::OutOfMemory;
    case 5: return Status::ProcLimit;
    case 7: return Status::Suspended;
    case 8: return Status::Killed;
    case 9: return Status::Busy;
    case 10: return Status::NoSuchPin;
    default: break;
  }
  throw std::runtime_error(to_string(op) + " returned status " + std::to_string(s) +
                           ", which the ABI does not define");
}

Fault to_fault(std::uint32_t f, const Op& op) {
  switch (f) {
    case 0: return Fault::None;
    case 1: return Fault::CowCopy;
    case 2: return Fault::CowReuse;
    case 3: return Fault::ZeroFill;
    case 4: return Fault::SwapIn;
    case 5: return Fault::PageIn;
    default: break;
  }
  throw std::runtime_error(to_string(op) + " reported fault " + std::to_string(f) +
                           ", which the ABI does not define");
}

wire::Code to_code(OpKind kind) {
  switch (kind) {
    case OpKind::Fork: return wire::Code::Fork;
    case OpKind::Write: return wire::Code::Write;
    case OpKind::Read: return wire::Code::Read;
    case OpKind::Exit: return wire::Code::Exit;
    case OpKind::Exec: return wire::Code::Exec;
    case OpKind::Vfork: return wire::Code::Vfork;
    case OpKind::Mmap: return wire::Code::Mmap;
    case OpKind::Munmap: return wire::Code::Munmap;
    case OpKind::Swapout: return wire::Code::Swapout;
    case OpKind::Pin: return wire::Code::Pin;
    case OpKind::Unpin: return wire::Code::Unpin;
    case OpKind::Copyout: return wire::Code::Copyout;
  }
  return wire::Code::Read;
}

// The ops whose outcome may carry a fault.
bool may_fault(OpKind kind) {
  return kind == OpKind::Write || kind == OpKind::Read || kind == OpKind::Pin ||
         kind == OpKind::Copyout;
}

bool valid_map_kind(std::uint32_t k) { return k >= 1 && k <= 5; }

}  // namespace

const char* entry_point_name(OpKind kind) {
  switch (kind) {
    case OpKind::Fork: return "fork";
    case OpKind::Write: return "write";
    case OpKind::Read: return "read";
    case OpKind::Exit: return "exit";
    case OpKind::Exec: return "exec";
    case OpKind::Vfork: return "vfork";
    case OpKind::Mmap: return "mmap";
    case OpKind::Munmap: return "munmap";
    case OpKind::Swapout: return "swapout";
    case OpKind::Pin: return "pin";
    case OpKind::Unpin: return "unpin";
    case OpKind::Copyout: return "copyout";
  }
  return "?";
}

PluginImplementation::PluginImplementation(const std::string& library, const Config& config,
                                           const WorkerLimits& limits, const std::string& worker)
    : library_(library), config_(config), worker_(worker, library, config, limits) {}

bool PluginImplementation::supports(OpKind kind) const {
  return (worker_.ops() & wire::op_bit(to_code(kind))) != 0;
}

bool PluginImplementation::supports(MapKind kind) const {
  auto k = static_cast<std::uint32_t>(kind);
  return valid_map_kind(k) && (worker_.map_kinds() & (1u << k)) != 0;
}

bool PluginImplementation::supports(const Op& op) const {
  if (!supports(op.kind)) return false;
  // An mmap of kind none is bad input the plug-in's mmap answers itself.
  return op.kind != OpKind::Mmap || op.map == MapKind::None || supports(op.map);
}

OpSet PluginImplementation::supported_ops() const {
  OpSet set = 0;
  for (OpKind kind : kAllOpKinds)
    if (supports(kind)) set |= op_mask(kind);
  return set;
}

std::vector<MapKind> PluginImplementation::supported_map_kinds() const {
  std::vector<MapKind> kinds;
  for (std::uint32_t k = 1; k <= 5; ++k)
    if (supports(static_cast<MapKind>(k))) kinds.push_back(static_cast<MapKind>(k));
  return kinds;
}

namespace {

std::string missing_message(const std::string& library, unsigned abi,
                            const std::map<std::string, std::string>& missing) {
  std::string text = "plug-in " + library + " (ABI version " + std::to_string(abi) + ")";
  bool first = true;
  for (const auto& [what, needed_by] : missing) {
    text += first ? " " : "; and ";
    first = false;
    text += what + ", needed by " + needed_by;
  }
  return text;
}

}  // namespace

std::string PluginImplementation::missing_for(std::span<const Op> ops) const {
  std::map<std::string, std::string> missing;  // what is missing -> the first op that needs it
  for (const Op& op : ops) {
    if (supports(op)) continue;
    std::string what =
        !supports(op.kind)
            ? std::string("has no ") + entry_point_name(op.kind) + " entry point"
            : std::string("has an mmap that does not take ") + std::string(map_kind_name(op.map)) +
                  " (map_kinds)";
    std::string needed_by = fmt::format("'{}'", to_string(op));
    missing.emplace(std::move(what), std::move(needed_by));
  }
  return missing.empty() ? "" : missing_message(library_, abi_version(), missing);
}

std::string PluginImplementation::missing_for(std::span<const OpKind> kinds) const {
  std::map<std::string, std::string> missing;
  for (OpKind kind : kinds)
    if (!supports(kind))
      missing.emplace(std::string("has no ") + entry_point_name(kind) + " entry point",
                      std::string(op_kind_name(kind)) + " ops");
  return missing.empty() ? "" : missing_message(library_, abi_version(), missing);
}

Outcome PluginImplementation::apply(const Op& op) {
  if (!supports(op)) {
    Op one[] = {op};
    throw UnsupportedOp(missing_for(std::span<const Op>(one)));
  }
  wire::Request request{to_code(op.kind),
                        op.pid,
                        op.vpn,
                        op.word,
                        op.value,
                        op.count,
                        static_cast<std::uint32_t>(op.map),
                        op.rw ? 1u : 0u,
                        op.pin};
  worker_.send(&request, sizeof request);
  wire::Reply reply{};
  worker_.receive(&reply, sizeof reply);
  if (reply.status == 6)  // COW_UNSUPPORTED, from the plug-in itself
    throw UnsupportedOp("plug-in " + library_ + " answered COW_UNSUPPORTED to '" + to_string(op) +
                        "': it does not do this op");
  Outcome outcome{to_status(reply.status, op), to_fault(reply.fault, op), 0, 0, 0};
  if (outcome.status == Status::Ok) {
    if (op.kind == OpKind::Fork || op.kind == OpKind::Vfork) outcome.child = reply.child;
    if (op.kind == OpKind::Read || op.kind == OpKind::Unpin) outcome.value = reply.value;
    if (op.kind == OpKind::Pin) outcome.pin = reply.pin;
    if (!may_fault(op.kind)) outcome.fault = Fault::None;
  } else {
    outcome.fault = Fault::None;
  }
  track(op, outcome);
  return outcome;
}

void PluginImplementation::track(const Op& op, const Outcome& outcome) {
  if (outcome.status == Status::Killed) live_.erase(op.pid);
  if (outcome.status != Status::Ok) return;
  switch (op.kind) {
    case OpKind::Fork:
    case OpKind::Vfork: live_.insert(outcome.child); break;
    case OpKind::Exit: live_.erase(op.pid); break;
    case OpKind::Pin: pins_.insert(outcome.pin); break;
    case OpKind::Unpin: pins_.erase(op.pin); break;
    default: break;
  }
}

namespace {

template <class T>
std::vector<T> receive_records(WorkerProcess& worker, std::uint32_t count) {
  std::vector<T> records(count);
  worker.receive(records.data(), records.size() * sizeof(T));
  return records;
}

PageData page(const std::uint32_t (&words)[wire::kWords], std::uint32_t used) {
  PageData data{};
  for (std::uint32_t w = 0; w < kMaxWords && w < used; ++w) data[w] = words[w];
  return data;
}

MapKind map_kind(std::uint32_t k) {
  return k <= 5 ? static_cast<MapKind>(k) : MapKind::None;
}

}  // namespace

std::optional<Snapshot> PluginImplementation::snapshot() const {
  if (!worker_.white_box()) return std::nullopt;
  std::vector<std::uint32_t> live(live_.begin(), live_.end());
  std::vector<std::uint32_t> pins(pins_.begin(), pins_.end());
  wire::Request request{wire::Code::Snapshot, static_cast<std::uint32_t>(live.size()), 0, 0, 0,
                        0, 0, 0, static_cast<std::uint32_t>(pins.size())};
  worker_.send(&request, sizeof request);
  worker_.send(live.data(), live.size() * sizeof(std::uint32_t));
  worker_.send(pins.data(), pins.size() * sizeof(std::uint32_t));
  wire::Reply reply{};
  worker_.receive(&reply, sizeof reply);
  wire::SnapshotHeader header{};
  worker_.receive(&header, sizeof header);
  auto procs = receive_records<wire::ProcRecord>(worker_, header.procs);
  auto ptes = receive_records<wire::PteRecord>(worker_, header.ptes);
  auto frames = receive_records<wire::FrameRecord>(worker_, header.frames);
  auto slots = receive_records<wire::SlotRecord>(worker_, header.slots);
  auto pin_records = receive_records<wire::PinRecord>(worker_, header.pins);

  Snapshot snap;
  snap.total_frames = header.frames;
  snap.free_frames = header.free_frames;
  for (const wire::ProcRecord& p : procs)
    if (p.live) snap.procs.push_back({p.pid, p.space, p.suspended != 0});
  std::vector<bool> named(frames.size(), false);
  for (const wire::PteRecord& p : ptes) {
    PteView view;
    view.pid = p.pid;
    view.vpn = p.vpn;
    view.kind = map_kind(p.kind);
    view.present = p.present != 0;
    view.writable = p.writable != 0;
    view.cow = p.cow != 0;
    view.exclusive = p.exclusive != 0;
    view.frame = p.present ? p.frame : kNoFrame;
    view.slot = p.present ? kNoSlot : p.slot;
    snap.ptes.push_back(view);
    if (p.present && p.frame < named.size()) named[p.frame] = true;
  }
  for (const wire::PinRecord& p : pin_records) {
    if (!p.held) continue;
    snap.pins.push_back({p.id, p.frame, p.rw != 0});
    if (p.frame < named.size()) named[p.frame] = true;
  }
  for (Pfn f = 0; f < frames.size(); ++f) {
    if (frames[f].refcount == 0 && !named[f]) continue;
    snap.frames.push_back(
        {f, frames[f].refcount, page(frames[f].contents, config_.words), frames[f].cache != 0});
  }
  for (const wire::SlotRecord& s : slots)
    snap.slots.push_back({s.slot, s.refcount, page(s.contents, config_.words)});
  return snap;
}

}  // namespace cow::plugin
