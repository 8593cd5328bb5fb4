#include "impl/plugin/plugin_impl.h"

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <optional>
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

// What a plug-in lacks for an op: its entry point, or, for an op the ABI
// has no entry point for at all, the op itself.
std::string lacks(OpKind kind) {
  if (op_info(kind).abi_entry.empty())
    return fmt::format("cannot run {} ops: the plug-in ABI has no entry point for them",
                       op_kind_name(kind));
  return fmt::format("has no {} entry point", op_info(kind).abi_entry);
}

bool valid_map_kind(std::uint32_t k) {
  return k >= COW_MAP_PRIVATE_ANON && k <= COW_MAP_SHARED_FILE;
}

}  // namespace

// ---- The pool of idle workers -------------------------------------------

namespace {

// An idle worker: either its instance ran no op (it serves the next run as
// it is, view and all), or a reset was sent to it when its run ended.
struct IdleWorker {
  std::unique_ptr<WorkerProcess> worker;
  ViewCopy view;
  bool reset_sent = false;
  bool first_instance = false;
};

// What the pool knows of one plug-in on one machine under one set of limits.
struct PoolEntry {
  std::vector<IdleWorker> idle;
  bool reusable = true;
  std::optional<Snapshot> pristine;  // a fresh worker's first view, for white-box plug-ins
  std::uint64_t last_used = 0;       // when a worker was last handed back
};

// A run hands its worker back before the next takes it: one idle worker per
// plug-in is the common case; a few cover engines that hold two at once.
// Checking many plug-ins in turn ('zoo:*') keeps only the latest few.
constexpr std::size_t kMaxIdle = 2;
constexpr std::size_t kMaxIdleInAll = 8;
std::uint64_t hand_backs = 0;

std::mutex pool_mutex;
std::map<std::string, PoolEntry>& pool() {
  // Never destroyed: kill_all_workers() ends idle workers at exit.
  static auto* entries = new std::map<std::string, PoolEntry>;
  return *entries;
}

std::string pool_key(const std::string& worker, const std::string& library, const Config& c,
                     const WorkerLimits& l) {
  return fmt::format("{}\n{}\n{} {} {} {} {} {} {}\n{} {} {}", worker, library, c.pages, c.frames,
                     c.procs, c.words, static_cast<int>(c.policy), static_cast<int>(c.oom),
                     static_cast<int>(c.reuse), l.op_timeout.count(), l.memory_bytes,
                     l.blocked_timeout.count());
}

void never_reuse(const std::string& key) {
  std::lock_guard lock(pool_mutex);
  PoolEntry& entry = pool()[key];
  entry.reusable = false;
  entry.idle.clear();
}

bool same_state(const Snapshot& a, const Snapshot& b) {
  return a.procs == b.procs && a.ptes == b.ptes && a.frames == b.frames && a.slots == b.slots &&
         a.pins == b.pins && a.free_frames == b.free_frames && a.total_frames == b.total_frames;
}

}  // namespace

void release_idle_workers() {
  std::map<std::string, PoolEntry> ending;
  {
    std::lock_guard lock(pool_mutex);
    for (auto& [key, entry] : pool()) ending[key].idle.swap(entry.idle);
  }
  // Destroyed here, outside the lock: each kills and reaps its worker.
}

PluginImplementation::PluginImplementation(const std::string& library, const Config& config,
                                           const WorkerLimits& limits, const std::string& worker)
    : library_(library),
      config_(config),
      limits_(limits),
      worker_path_(worker),
      pool_key_(pool_key(worker, library, config, limits)),
      view_(config) {
  if (!take_from_pool()) start_fresh();
  // What the plug-in offers, from its hello: the same from every worker.
  white_box_ = worker_->white_box();
  abi_version_ = worker_->abi_version();
  ops_ = worker_->ops();
  map_kinds_ = worker_->map_kinds();
}

PluginImplementation::~PluginImplementation() {
  if (!worker_ || !worker_->alive()) return;
  IdleWorker idle{nullptr, ViewCopy(config_), false, first_instance_};
  try {
    if (sent_ops_) {
      // The reset runs in the worker while the engine goes on; the next
      // run reads its answer.
      wire::Request reset{wire::Code::Reset, 0, 0, 0, 0, 0, 0, 0, 0};
      worker_->send(&reset, sizeof reset);
      idle.reset_sent = true;
    } else {
      idle.view = std::move(view_);
    }
  } catch (const std::exception&) {
    return;  // it stopped: the unique_ptr kills what is left of it
  }
  idle.worker = std::move(worker_);
  std::vector<IdleWorker> evicted;  // ended outside the lock
  std::lock_guard lock(pool_mutex);
  PoolEntry& entry = pool()[pool_key_];
  if (!entry.reusable || entry.idle.size() >= kMaxIdle) return;  // `idle` ends with its worker
  entry.idle.push_back(std::move(idle));
  entry.last_used = ++hand_backs;
  std::size_t in_all = 0;
  for (const auto& [key, e] : pool()) in_all += e.idle.size();
  while (in_all-- > kMaxIdleInAll) {
    PoolEntry* oldest = nullptr;
    for (auto& [key, e] : pool())
      if (!e.idle.empty() && (!oldest || e.last_used < oldest->last_used)) oldest = &e;
    evicted.push_back(std::move(oldest->idle.back()));
    oldest->idle.pop_back();
  }
}

void PluginImplementation::start_fresh() {
  worker_.reset();
  first_instance_ = true;
  sent_ops_ = false;
  live_ = {kInitPid};
  pins_.clear();
  ran_.clear();
  view_.clear();
  worker_ = std::make_unique<WorkerProcess>(worker_path_, library_, config_, limits_);
  if (!worker_->white_box()) return;
  worker_->set_activity("showing its state after create()");
  read_view();
  std::lock_guard lock(pool_mutex);
  PoolEntry& entry = pool()[pool_key_];
  if (!entry.pristine) entry.pristine = view_.snapshot();
}

bool PluginImplementation::take_from_pool() {
  IdleWorker idle{nullptr, ViewCopy(config_), false, false};
  std::optional<Snapshot> pristine;
  {
    std::lock_guard lock(pool_mutex);
    PoolEntry& entry = pool()[pool_key_];
    if (!entry.reusable || entry.idle.empty()) return false;
    idle = std::move(entry.idle.back());
    entry.idle.pop_back();
    pristine = entry.pristine;
  }
  worker_ = std::move(idle.worker);
  first_instance_ = idle.first_instance;
  if (!idle.reset_sent) {
    view_ = std::move(idle.view);
    return true;
  }
  // The reset sent when the last run ended: its answer, and the first view
  // of the new instance.
  live_ = {kInitPid};
  pins_.clear();
  ran_.clear();
  view_.clear();
  first_instance_ = false;
  try {
    worker_->set_activity("running destroy() and create() for a new run (a reused worker)",
                          "showing its state after create() (a reused worker)");
    worker_->start_waiting(limits_.op_timeout + kStartAllowance);
    wire::Reply reply{};
    worker_->receive(&reply, sizeof reply);
    if (reply.value != 0 || reply.status != COW_OK) {
      // Processes it forked outlived the run, or create() refused after
      // destroy(): this plug-in gets a fresh worker per run.
      never_reuse(pool_key_);
      worker_.reset();
      return false;
    }
    if (worker_->white_box()) read_view();
  } catch (const ImplementationStopped&) {
    // destroy() or create() failed in a worker that served a run: no
    // finding of any run (a .cow file replays in a fresh worker), but no
    // more reuse.
    never_reuse(pool_key_);
    worker_.reset();
    return false;
  }
  if (pristine && !same_state(view_.snapshot(), *pristine)) {
    // destroy() left state behind that create() did not clear.
    never_reuse(pool_key_);
    worker_.reset();
    return false;
  }
  return true;
}

void PluginImplementation::isolate() {
  if (first_instance_ && !sent_ops_) return;
  worker_.reset();
  start_fresh();
}

void PluginImplementation::read_view() {
  std::vector<std::uint32_t> live(live_.begin(), live_.end());
  std::vector<std::uint32_t> pins(pins_.begin(), pins_.end());
  view_.read(*worker_, live, pins);
}

bool PluginImplementation::supports(OpKind kind) const {
  return op_info(kind).wire != 0 && (ops_ & wire::op_bit(to_code(kind))) != 0;
}

bool PluginImplementation::supports(MapKind kind) const {
  auto k = static_cast<std::uint32_t>(kind);
  return valid_map_kind(k) && (map_kinds_ & (1u << k)) != 0;
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
    std::string what = !supports(op.kind) ? lacks(op.kind)
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
    if (!supports(kind)) missing.emplace(lacks(kind), std::string(op_kind_name(kind)) + " ops");
  return missing.empty() ? "" : missing_message(library_, abi_version(), missing);
}

Outcome PluginImplementation::apply(const Op& op) {
  // A fresh worker that could not start (rerun_in_fresh_worker, isolate).
  if (!worker_)
    throw ImplementationStopped(ImplementationStopped::Kind::Crash,
                                library_ + ": the worker has already stopped");
  if (!supports(op)) {
    Op one[] = {op};
    throw UnsupportedOp(missing_for(std::span<const Op>(one)));
  }
  try {
    Outcome outcome = send_op(op);
    ran_.push_back({op, outcome});
    return outcome;
  } catch (const ImplementationStopped& stop) {
    if (first_instance_) throw;
    return rerun_in_fresh_worker(op, stop);
  }
}

// A worker that served earlier runs stopped: the stop may owe to what
// those runs left in the plug-in's globals. Only a stop that a fresh
// worker shows too, after this run's ops with the same answers, is this
// run's; any other ends reuse for this plug-in, and the run goes on in the
// fresh worker when it answered the run so far alike.
Outcome PluginImplementation::rerun_in_fresh_worker(const Op& op,
                                                    const ImplementationStopped& stop) {
  std::vector<std::pair<Op, Outcome>> ran = std::move(ran_);
  std::optional<Snapshot> before;
  if (white_box_) before = view_.snapshot();
  auto with_note = [&](const std::string& note) {
    return ImplementationStopped(stop.kind(), std::string(stop.what()) + " (" + note + ")");
  };
  std::optional<Op> differs;
  try {
    start_fresh();
    for (const auto& [earlier, outcome] : ran) {
      if (send_op(earlier) != outcome) {
        differs = earlier;
        break;
      }
      ran_.push_back({earlier, outcome});
    }
  } catch (const ImplementationStopped& again) {
    never_reuse(pool_key_);
    throw with_note(fmt::format(
        "in a worker reused from earlier runs; re-run in a fresh worker, this run's earlier ops "
        "stopped it: {}",
        again.what()));
  }
  if (differs) {
    never_reuse(pool_key_);
    throw with_note(fmt::format(
        "in a worker reused from earlier runs; a fresh worker answered '{}' of this run "
        "differently",
        to_string(*differs)));
  }
  if (before && !same_state(view_.snapshot(), *before)) {
    never_reuse(pool_key_);
    throw with_note(
        "in a worker reused from earlier runs; a fresh worker showed a different state before "
        "this op");
  }
  // A fresh worker now: its stop, if it stops, is this run's own.
  Outcome outcome = send_op(op);
  never_reuse(pool_key_);  // it did not stop: the stop came from earlier runs
  ran_.push_back({op, outcome});
  return outcome;
}

Outcome PluginImplementation::send_op(const Op& op) {
  wire::Request request{to_code(op.kind),
                        op.pid,
                        op.vpn,
                        op.word,
                        op.value,
                        op.count,
                        static_cast<std::uint32_t>(op.map),
                        op.rw ? 1u : 0u,
                        op.pin};
  std::string text = to_string(op);
  worker_->set_activity(fmt::format("answering '{}' ({}())", text, op_info(op.kind).abi_entry),
                        "showing its state after '" + text + "'");
  sent_ops_ = true;
  worker_->send(&request, sizeof request);
  wire::Reply reply{};
  worker_->receive(&reply, sizeof reply);
  if (reply.status == COW_UNSUPPORTED)  // from the plug-in itself
    throw UnsupportedOp("plug-in " + library_ + " answered COW_UNSUPPORTED to '" + text +
                        "': it does not do this op");
  Outcome outcome = decode_outcome(reply, op, *worker_);
  track(op, outcome);
  // The view after it, in the same answer.
  if (worker_->white_box()) read_view();
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
  if (!white_box_) return std::nullopt;
  return view_.snapshot();
}

}  // namespace cow::plugin
