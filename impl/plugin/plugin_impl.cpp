#include "impl/plugin/plugin_impl.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "impl/plugin/wire.h"

namespace cow::plugin {

namespace {

static_assert(wire::kWords == kMaxWords);

// The ABI's statuses map one to one. Any other value is a plug-in bug that
// no outcome can express: it is reported as a crash of the plug-in.
Status to_status(std::uint32_t s, const Op& op) {
  switch (s) {
    case 0: return Status::Ok;
    case 1: return Status::NoSuchProcess;
    case 2: return Status::BadAddress;
    case 3: return Status::ProtFault;
    case 4: return Status::OutOfMemory;
    case 5: return Status::ProcLimit;
    default: break;
  }
  throw std::runtime_error(to_string(op) + " returned status " + std::to_string(s) +
                           ", which the ABI does not define for it");
}

Fault to_fault(std::uint32_t f) {
  switch (f) {
    case 1: return Fault::CowCopy;
    case 2: return Fault::CowReuse;
    default: return Fault::None;
  }
}

wire::Code to_code(OpKind kind) {
  switch (kind) {
    case OpKind::Fork: return wire::Code::Fork;
    case OpKind::Write: return wire::Code::Write;
    case OpKind::Read: return wire::Code::Read;
    case OpKind::Exit: return wire::Code::Exit;
  }
  return wire::Code::Read;
}

}  // namespace

PluginImplementation::PluginImplementation(const std::string& library, const Config& config,
                                           const WorkerLimits& limits, const std::string& worker)
    : config_(config), worker_(worker, library, config, limits) {}

Outcome PluginImplementation::apply(const Op& op) {
  wire::Request request{to_code(op.kind), op.pid, op.vpn, op.word, op.value};
  worker_.send(&request, sizeof request);
  wire::Reply reply{};
  worker_.receive(&reply, sizeof reply);
  Outcome outcome{to_status(reply.status, op), to_fault(reply.fault), 0, 0};
  if (outcome.status == Status::Ok) {
    if (op.kind == OpKind::Fork) outcome.child = reply.child;
    if (op.kind == OpKind::Read) outcome.value = reply.value;
    if (op.kind != OpKind::Write) outcome.fault = Fault::None;
  } else {
    outcome.fault = Fault::None;
  }
  track(op, outcome);
  return outcome;
}

void PluginImplementation::track(const Op& op, const Outcome& outcome) {
  if (outcome.status != Status::Ok) return;
  if (op.kind == OpKind::Fork) live_.insert(outcome.child);
  if (op.kind == OpKind::Exit) live_.erase(op.pid);
}

std::optional<Snapshot> PluginImplementation::snapshot() const {
  if (!worker_.white_box()) return std::nullopt;
  std::vector<std::uint32_t> live(live_.begin(), live_.end());
  wire::Request request{wire::Code::Snapshot, static_cast<std::uint32_t>(live.size()), 0, 0, 0};
  worker_.send(&request, sizeof request);
  worker_.send(live.data(), live.size() * sizeof(std::uint32_t));
  wire::Reply reply{};
  worker_.receive(&reply, sizeof reply);
  wire::SnapshotHeader header{};
  worker_.receive(&header, sizeof header);
  std::vector<wire::PteRecord> ptes(header.ptes);
  std::vector<wire::FrameRecord> frames(header.frames);
  worker_.receive(ptes.data(), ptes.size() * sizeof(wire::PteRecord));
  worker_.receive(frames.data(), frames.size() * sizeof(wire::FrameRecord));

  Snapshot snap;
  snap.total_frames = header.frames;
  snap.free_frames = header.free_frames;
  std::vector<bool> mapped(frames.size(), false);
  for (const wire::PteRecord& p : ptes) {
    snap.ptes.push_back({p.pid, p.vpn, p.present != 0, p.writable != 0, p.cow != 0,
                         p.present ? p.frame : kNoFrame});
    if (p.present && p.frame < mapped.size()) mapped[p.frame] = true;
  }
  for (Pfn f = 0; f < frames.size(); ++f) {
    if (frames[f].refcount == 0 && !mapped[f]) continue;
    FrameView view{f, frames[f].refcount, {}};
    for (std::uint32_t w = 0; w < kMaxWords; ++w)
      view.contents[w] = w < config_.words ? frames[f].contents[w] : 0;
    snap.frames.push_back(view);
  }
  return snap;
}

}  // namespace cow::plugin
