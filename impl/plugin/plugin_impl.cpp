#include "impl/plugin/plugin_impl.h"

#include <fmt/format.h>

#include <map>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cowcheck/cow_abi.h"
#include "impl/plugin/reply_decode.h"
#include "impl/plugin/wire.h"

namespace cow::plugin {

namespace {

static_assert(wire::kWords == kMaxWords);

// The ABI numbers its enums as the spec does, and the wire carries them as
// they are (a map kind in Request::kind, the policies in the worker's
// arguments).
static_assert(static_cast<int>(MapKind::None) == COW_MAP_NONE &&
              static_cast<int>(MapKind::PrivateAnon) == COW_MAP_PRIVATE_ANON &&
              static_cast<int>(MapKind::SharedAnon) == COW_MAP_SHARED_ANON &&
              static_cast<int>(MapKind::Text) == COW_MAP_TEXT &&
              static_cast<int>(MapKind::PrivateFile) == COW_MAP_PRIVATE_FILE &&
              static_cast<int>(MapKind::SharedFile) == COW_MAP_SHARED_FILE);
static_assert(static_cast<int>(ReusePolicy::MapCount) == COW_REUSE_MAPCOUNT &&
              static_cast<int>(ReusePolicy::PageCount) == COW_REUSE_PAGECOUNT &&
              static_cast<int>(ReusePolicy::Exclusive) == COW_REUSE_EXCLUSIVE);
static_assert(static_cast<int>(OomPolicy::Error) == COW_OOM_ERROR &&
              static_cast<int>(OomPolicy::Kill) == COW_OOM_KILL);

// The wire's code of each op is kOps' `wire` column (spec/op.h); wire.h
// names the same codes without including spec. Each op offered to plug-ins
// (a row with a code; 0 is an op plug-ins are never sent) must carry the
// code wire.h gives the op of the same name, listed here.
constexpr std::pair<OpKind, wire::Code> kWireCodes[] = {
    {OpKind::Fork, wire::Code::Fork},       {OpKind::Write, wire::Code::Write},
    {OpKind::Read, wire::Code::Read},       {OpKind::Exit, wire::Code::Exit},
    {OpKind::Exec, wire::Code::Exec},       {OpKind::Vfork, wire::Code::Vfork},
    {OpKind::Mmap, wire::Code::Mmap},       {OpKind::Munmap, wire::Code::Munmap},
    {OpKind::Swapout, wire::Code::Swapout}, {OpKind::Pin, wire::Code::Pin},
    {OpKind::Unpin, wire::Code::Unpin},     {OpKind::Copyout, wire::Code::Copyout},
};
static_assert(
    [] {
      for (const OpInfo& row : kOps) {
        if (row.wire == 0) continue;
        bool named = false;
        for (auto [kind, code] : kWireCodes)
          named = named || (kind == row.kind && row.wire == static_cast<std::uint32_t>(code));
        if (!named) return false;
      }
      return true;
    }(),
    "an op offered to plug-ins without the wire::Code of the same name");

wire::Code to_code(OpKind kind) { return static_cast<wire::Code>(op_info(kind).wire); }

std::string entry_point(OpKind kind) { return std::string(op_info(kind).abi_entry); }

bool valid_map_kind(std::uint32_t k) {
  return k >= COW_MAP_PRIVATE_ANON && k <= COW_MAP_SHARED_FILE;
}

}  // namespace

PluginImplementation::PluginImplementation(const std::string& library, const Config& config,
                                           const WorkerLimits& limits, const std::string& worker)
    : library_(library), config_(config), worker_(worker, library, config, limits) {}

bool PluginImplementation::supports(OpKind kind) const {
  return op_info(kind).wire != 0 && (worker_.ops() & wire::op_bit(to_code(kind))) != 0;
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

MapSet PluginImplementation::supported_map_kinds() const {
  MapSet kinds = 0;
  for (std::uint32_t k = COW_MAP_PRIVATE_ANON; k <= COW_MAP_SHARED_FILE; ++k)
    if (supports(static_cast<MapKind>(k))) kinds |= map_bit(static_cast<MapKind>(k));
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
    std::string what = !supports(op.kind) ? "has no " + entry_point(op.kind) + " entry point"
                                          : std::string("has an mmap that does not take ") +
                                                std::string(map_kind_name(op.map)) + " (map_kinds)";
    std::string needed_by = fmt::format("'{}'", to_string(op));
    missing.emplace(std::move(what), std::move(needed_by));
  }
  return missing.empty() ? "" : missing_message(library_, abi_version(), missing);
}

std::string PluginImplementation::missing_for(std::span<const OpKind> kinds) const {
  std::map<std::string, std::string> missing;
  for (OpKind kind : kinds)
    if (!supports(kind))
      missing.emplace("has no " + entry_point(kind) + " entry point",
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
  worker_.set_activity(fmt::format("answering '{}' ({}())", to_string(op), entry_point(op.kind)));
  worker_.send(&request, sizeof request);
  wire::Reply reply{};
  worker_.receive(&reply, sizeof reply);
  if (reply.status == COW_UNSUPPORTED)  // from the plug-in itself
    throw UnsupportedOp("plug-in " + library_ + " answered COW_UNSUPPORTED to '" + to_string(op) +
                        "': it does not do this op");
  Outcome outcome = decode_outcome(reply, op, worker_);
  last_op_ = to_string(op);
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

std::optional<Snapshot> PluginImplementation::snapshot() const {
  if (!worker_.white_box()) return std::nullopt;
  std::vector<std::uint32_t> live(live_.begin(), live_.end());
  std::vector<std::uint32_t> pins(pins_.begin(), pins_.end());
  wire::Request request{wire::Code::Snapshot,
                        static_cast<std::uint32_t>(live.size()),
                        0,
                        0,
                        0,
                        0,
                        0,
                        0,
                        static_cast<std::uint32_t>(pins.size())};
  // Each call into the plug-in that returns is progress: a large machine's
  // view takes as long as it takes, and a stop here names the op before it.
  worker_.set_activity(last_op_.empty() ? "showing its state before the first op"
                                        : "showing its state after '" + last_op_ + "'");
  worker_.send(&request, sizeof request);
  worker_.send(live.data(), live.size() * sizeof(std::uint32_t));
  worker_.send(pins.data(), pins.size() * sizeof(std::uint32_t));
  return read_snapshot(worker_, config_, live, pins);
}

}  // namespace cow::plugin
