#include "tests/impl/fast/mt_stress.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "spec/linearizability.h"
#include "spec/semantics.h"
#include "spec/snapshot.h"

namespace cow::mt_stress {

namespace {

using fast::FastMt;

// Lane i drives task i + 1: pid 1 and the threads the setup made.
Pid lane_pid(std::uint32_t lane) { return lane + 1; }

// The pages the lanes touch.
std::vector<Vpn> touched(const StressOptions& options) {
  if (!options.vpns.empty()) return options.vpns;
  std::vector<Vpn> all;
  for (Vpn vpn = 0; vpn < options.config.pages; ++vpn) all.push_back(vpn);
  return all;
}

// The setup, one op at a time on both sides: a thread per extra lane, a
// value in every word of every page the lanes touch, and a fork, so the
// lanes start on copy-on-write pages with a child holding them.
std::optional<std::string> set_up(FastMt& impl, Semantics& sem, const StressOptions& options,
                                  Value& next_value) {
  std::vector<Op> ops;
  for (std::uint32_t lane = 1; lane < options.max_lanes; ++lane)
    ops.push_back(Op::thread(kInitPid));
  for (Vpn vpn : touched(options))
    for (std::uint32_t word = 0; word < sem.config().words; ++word)
      ops.push_back(Op::write(kInitPid, vpn, next_value++, word));
  ops.push_back(Op::fork(kInitPid));
  for (const Op& op : ops) {
    Outcome want = sem.expect(op);
    Outcome got = impl.apply(op);
    got.fault = want.fault;  // how a fault was served is not observable
    if (!(got == want))
      return "setup: " + to_string(op) + " answered " + to_string(got) + ", the semantics says " +
             to_string(want);
    sem.apply(op, got);
  }
  return std::nullopt;
}

// One lane's ops: writes and reads of the few pages, a madvise and a fork
// now and then. A lane writes its own word of each page and reads every
// word: writes of two lanes then commute, so the oracle keeps few candidate
// states, and a write lost to a sibling's fault on the same page (a
// different word of it) shows.
std::vector<Op> lane_ops(std::mt19937_64& rng, const StressOptions& options, std::uint32_t lane,
                         std::uint32_t count, Value& next_value) {
  const Config& config = options.config;
  const std::vector<Vpn> vpns = touched(options);
  auto pick = [&rng](std::uint32_t n) { return static_cast<std::uint32_t>(rng() % n); };
  Pid pid = lane_pid(lane);
  std::vector<Op> ops;
  for (std::uint32_t i = 0; i < count; ++i) {
    std::uint32_t roll = pick(100);
    Vpn vpn = vpns[pick(static_cast<std::uint32_t>(vpns.size()))];
    if (roll < 47)
      ops.push_back(Op::write(pid, vpn, next_value++, lane % config.words));
    else if (roll < 94)
      ops.push_back(Op::read(pid, vpn, pick(config.words)));
    else if (roll < 98)
      ops.push_back(Op::madvise(pid, vpn, 1 + pick(std::min(config.pages - vpn, 4u))));
    else
      ops.push_back(Op::fork(pid));
  }
  return ops;
}

// The history through a monitor, in clock order.
std::optional<std::string> linearize(LinearizabilityMonitor& monitor, std::vector<Call> history) {
  struct Event {
    std::uint64_t tick;
    const Call* call;
    bool invoke;
  };
  std::vector<Event> events;
  for (const Call& c : history) {
    events.push_back({c.invoked, &c, true});
    events.push_back({c.returned, &c, false});
  }
  std::sort(events.begin(), events.end(),
            [](const Event& a, const Event& b) { return a.tick < b.tick; });
  for (const Event& e : events) {
    if (e.invoke) {
      monitor.invoke(e.call->lane, e.call->op);
    } else if (!monitor.respond(e.call->lane, e.call->outcome)) {
      return "lane " + std::to_string(e.call->lane) + ": " + to_string(e.call->op) + " answered " +
             to_string(e.call->outcome) + ": " + monitor.why();
    }
  }
  return std::nullopt;
}

// The state as it must hold together whatever order ran: refcounts are the
// PTEs that map a frame (fast-mt has no pins), a writable PTE maps its
// frame alone, and every frame is free or listed.
std::optional<std::string> check_refcounts(const Snapshot& snap) {
  std::map<Pfn, std::uint32_t> mapped;
  for (const PteView& pte : snap.ptes)
    if (pte.present) ++mapped[pte.frame];
  std::uint32_t in_use = 0;
  for (const FrameView& f : snap.frames) {
    if (f.refcount != 0) ++in_use;
    std::uint32_t maps = mapped.count(f.frame) ? mapped.at(f.frame) : 0;
    if (f.refcount != maps)
      return "frame " + std::to_string(f.frame) + ": refcount " + std::to_string(f.refcount) +
             ", mapped by " + std::to_string(maps) + " PTEs";
  }
  for (const PteView& pte : snap.ptes) {
    if (!pte.present) continue;
    if (!snap.find_frame(pte.frame))
      return "pid " + std::to_string(pte.pid) + " vpn " + std::to_string(pte.vpn) +
             ": maps frame " + std::to_string(pte.frame) + ", which is not in use";
    if (pte.writable && mapped.at(pte.frame) != 1)
      return "pid " + std::to_string(pte.pid) + " vpn " + std::to_string(pte.vpn) +
             ": writable on frame " + std::to_string(pte.frame) + ", which " +
             std::to_string(mapped.at(pte.frame)) + " PTEs map";
  }
  if (in_use + snap.free_frames != snap.total_frames)
    return std::to_string(in_use) + " frames in use and " + std::to_string(snap.free_frames) +
           " free of " + std::to_string(snap.total_frames);
  return std::nullopt;
}

// What the state shows a program: the live pids, who names each space,
// and every word of every page.
bool shows_the_same(const Semantics& sem, const Snapshot& snap) {
  if (sem.processes().size() != snap.procs.size()) return false;
  for (const ProcView& p : snap.procs)
    if (!sem.live(p.pid) || sem.space_owner(p.pid) != p.space) return false;
  for (const PteView& pte : snap.ptes) {
    const Semantics::Page* page = sem.view(pte.pid, pte.vpn);
    if (!page) return false;
    PageData seen{};
    if (pte.present) seen = snap.find_frame(pte.frame)->contents;
    for (std::uint32_t word = 0; word < sem.config().words; ++word)
      if (seen[word] != page->data[word]) return false;
  }
  return true;
}

// Ops between rounds, one at a time, through the monitor too: every task
// but the lanes' exits, and pid 1 forks, so that each round starts on
// copy-on-write pages a live child shares, where the write faults race.
std::optional<std::string> between_rounds(FastMt& impl, LinearizabilityMonitor& monitor,
                                          std::uint32_t lanes, std::uint64_t& tick) {
  std::vector<Op> ops;
  std::optional<Snapshot> snap = impl.snapshot();
  for (const ProcView& p : snap->procs)
    if (p.pid > lanes) ops.push_back(Op::exit(p.pid));
  ops.push_back(Op::fork(kInitPid));
  std::vector<Call> calls;
  for (const Op& op : ops) {
    Call& c = calls.emplace_back();
    c.op = op;
    c.invoked = tick++;
    c.outcome = impl.apply(op);
    c.returned = tick++;
  }
  return linearize(monitor, std::move(calls));
}

std::optional<std::string> one_run(fast::MtMutation mutation, const StressOptions& options,
                                   std::mt19937_64& rng, std::uint64_t& calls) {
  const Config& config = options.config;
  std::uint32_t lanes = options.max_lanes;
  FastMt impl(config, mutation);
  Semantics sem(config);
  Value next_value = 1;
  if (std::optional<std::string> bad = set_up(impl, sem, options, next_value)) return bad;
  LinearizabilityMonitor monitor(sem);
  std::uint64_t tick = 0;  // the sequential calls' clock, apart from the lanes'
  for (std::uint32_t round = 0; round < options.rounds; ++round) {
    if (round > 0)
      if (std::optional<std::string> why = between_rounds(impl, monitor, lanes, tick))
        return "between rounds: " + *why;
    // The oracle's work grows steeply with the calls in flight at once, so
    // rounds of more lanes are rarer and shorter.
    std::uint32_t roll = static_cast<std::uint32_t>(rng() % 100);
    std::uint32_t running = roll < 50 ? 2 : roll < 85 ? 3 : 4;
    running = std::clamp(running, options.min_lanes, options.max_lanes);
    Lanes ops;
    for (std::uint32_t lane = 0; lane < running; ++lane)
      ops.push_back(lane_ops(rng, options, lane, options.ops_per_lane[running], next_value));
    std::vector<Call> history = impl.run_lanes(ops);
    calls += history.size();
    // The lanes' ticks all come after the sequential calls before them.
    std::uint64_t base = tick;
    for (Call& c : history) {
      c.invoked += base;
      c.returned += base;
      tick = std::max(tick, c.returned + 1);
    }
    if (std::optional<std::string> why = linearize(monitor, std::move(history)))
      return "round " + std::to_string(round) + ": not linearizable: " + *why;
    std::optional<Snapshot> snap = impl.snapshot();
    if (!snap) return "no snapshot";
    if (std::optional<std::string> bad = check_refcounts(*snap))
      return "round " + std::to_string(round) + ": refcounts: " + *bad;
    std::vector<const Semantics*> states = monitor.states();
    if (std::none_of(states.begin(), states.end(),
                     [&](const Semantics* s) { return shows_the_same(*s, *snap); }))
      return "round " + std::to_string(round) + ": the state is none of the " +
             std::to_string(states.size()) + " states an order of the calls reaches";
  }
  return std::nullopt;
}

}  // namespace

StressResult stress(fast::MtMutation mutation, const StressOptions& options,
                    std::uint64_t max_calls) {
  StressResult result;
  std::mt19937_64 rng(options.seed);
  while (result.calls < max_calls) {
    ++result.runs;
    result.failure = one_run(mutation, options, rng, result.calls);
    if (result.failure) {
      *result.failure = "run " + std::to_string(result.runs) + ": " + *result.failure;
      break;
    }
  }
  return result;
}

}  // namespace cow::mt_stress
