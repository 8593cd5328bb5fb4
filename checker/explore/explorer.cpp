#include "checker/explore/explorer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <thread>

#include "checker/campaign.h"
#include "checker/explore/key_set.h"
#include "checker/explore/peak_memory.h"
#include "checker/explore/state_key.h"
#include "checker/harness.h"
#include "checker/step_audit.h"

namespace cow::explore {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kRoot = std::numeric_limits<std::uint32_t>::max();
// States a thread expands before the threads meet to merge what they found:
// bounds the successors held at once, and keeps the merge order (so the
// recorded paths and the counterexample) independent of the thread count.
constexpr std::size_t kBatchPerThread = 256;

// How the search first reached a state: enough to rebuild the op path.
struct Node {
  std::uint32_t parent;
  Op op;
};

// A state still to expand: the implementation itself, the semantics beside
// it, and its snapshot (the "before" of every op tried from it).
struct Entry {
  std::uint32_t node;
  std::unique_ptr<Implementation> impl;
  Semantics sem;
  Snapshot snap;
};

struct Successor {
  std::unique_ptr<Implementation> impl;
  Semantics sem;
  std::optional<Snapshot> snap;
  std::optional<Violation> violation;
};

// One op from one state, checked as Harness::step checks it (which cannot
// be used here: it owns a semantics that starts from the initial state).
Successor apply_checked(const Entry& from, const Op& op) {
  Successor s{from.impl->clone(), from.sem, std::nullopt, std::nullopt};
  Outcome expected = from.sem.expect(op);
  Outcome actual;
  try {
    actual = s.impl->apply(op);
    s.snap = s.impl->snapshot();
  } catch (const std::exception& e) {
    // The replay through the harness names it exactly (CRASH, HANG, ...).
    s.violation = Violation{InvariantId::CRASH, op.pid, std::nullopt, kNoFrame, e.what()};
    return s;
  }
  s.sem.apply(op, actual);
  Step step{op,      expected, actual, s.sem, &from.snap, s.snap ? &*s.snap : nullptr,
            nullptr, &from.sem};
  s.violation = check_step(step);
  if (!s.violation)
    if (const auto* audit = dynamic_cast<const StepAudit*>(s.impl.get()))
      s.violation = audit->audit_last_step();
  if (!s.violation && !s.snap)
    s.violation = Violation{InvariantId::CRASH, op.pid, std::nullopt, kNoFrame,
                            "the implementation stopped giving snapshots"};
  return s;
}

// A successor not seen before this batch, waiting for the merge.
struct Candidate {
  std::size_t entry;  // index into the frontier
  Op op;
  std::string key;
  std::uint64_t hash;
  std::unique_ptr<Implementation> impl;
  Semantics sem;
  Snapshot snap;
};

// What one thread did with its share of a batch.
struct Share {
  std::vector<Candidate> candidates;
  std::uint64_t transitions = 0;
  std::optional<std::pair<std::size_t, Op>> failing;  // the first op that broke something
  std::optional<Violation> violation;
  bool timed_out = false;
};

// Expands frontier[begin, end): reads `seen`, which nobody writes meanwhile.
void expand(const std::vector<Entry>& frontier, std::size_t begin, std::size_t end,
            const KeySet& seen, std::uint32_t values, OpSet kinds, MapSet maps,
            const std::function<bool()>& out_of_time, Share& share) {
  StateKeyer keyer;
  for (std::size_t e = begin; e < end; ++e) {
    const Entry& entry = frontier[e];
    for (const Op& op : ops_from(entry.sem, values, kinds, maps)) {
      if ((share.transitions & 255) == 0 && out_of_time()) {
        share.timed_out = true;
        return;
      }
      ++share.transitions;
      Successor s = apply_checked(entry, op);
      if (s.violation) {
        share.failing.emplace(e, op);
        share.violation = std::move(s.violation);
        return;
      }
      const std::string& key = keyer.key(*s.snap, s.sem);
      std::uint64_t hash = KeySet::hash(key);
      if (seen.contains(key, hash)) continue;
      share.candidates.push_back(
          Candidate{e, op, key, hash, std::move(s.impl), std::move(s.sem), std::move(*s.snap)});
    }
  }
}

// Appends `op` with its arguments from the `arg`-th on set every way the
// search tries them, in the order spec/op.h lists the arguments. A range
// (mmap, munmap) is one page: wider ones add states, not kinds of step.
void each_choice(const Semantics& sem, std::uint32_t values, MapSet maps, Op op, std::size_t arg,
                 std::vector<Op>& ops) {
  const auto& args = op_info(op.kind).args;
  if (arg == args.size() || args[arg] == OpArg::None) {
    ops.push_back(op);
    return;
  }
  const Config& c = sem.config();
  auto each = [&](auto& field, auto first, auto last) {
    for (auto v = first; v <= last; ++v) {
      field = v;
      each_choice(sem, values, maps, op, arg + 1, ops);
    }
  };
  switch (args[arg]) {
    case OpArg::Pid:
      for (const auto& [pid, proc] : sem.processes()) {
        op.pid = pid;
        each_choice(sem, values, maps, op, arg + 1, ops);
      }
      break;
    case OpArg::Vpn: each(op.vpn, Vpn{0}, Vpn{c.pages - 1}); break;
    case OpArg::Value: each(op.value, Value{1}, Value{values}); break;
    case OpArg::Word: each(op.word, std::uint32_t{0}, c.words - 1); break;
    case OpArg::Count: each(op.count, 1u, 1u); break;
    case OpArg::Map:
      for (auto k = static_cast<int>(MapKind::PrivateAnon);
           k <= static_cast<int>(MapKind::SharedFile); ++k) {
        op.map = static_cast<MapKind>(k);
        if ((maps & map_bit(op.map)) == 0) continue;  // a kind the implementation lacks
        each_choice(sem, values, maps, op, arg + 1, ops);
      }
      break;
    case OpArg::Mode:
      for (bool rw : {false, true}) {
        op.rw = rw;
        each_choice(sem, values, maps, op, arg + 1, ops);
      }
      break;
    case OpArg::PinId:
      for (const auto& [id, cell] : sem.pins()) {
        op.pin = id;
        each_choice(sem, values, maps, op, arg + 1, ops);
      }
      break;
    case OpArg::None: break;
  }
}

std::vector<Op> path_to(const std::vector<Node>& nodes, std::uint32_t node) {
  std::vector<Op> ops;
  for (; nodes[node].parent != kRoot; node = nodes[node].parent) ops.push_back(nodes[node].op);
  return {ops.rbegin(), ops.rend()};
}

}  // namespace

std::vector<Op> ops_from(const Semantics& sem, std::uint32_t values, OpSet kinds, MapSet maps) {
  std::vector<Op> ops;
  for_each_op(kinds, [&](OpKind kind) { each_choice(sem, values, maps, Op{kind}, 0, ops); });
  return ops;
}

ExploreResult run_explore(const ImplFactory& make, const ExploreOptions& options,
                          const std::function<void(const ExploreProgress&)>& on_level) {
  Clock::time_point start = Clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
  std::function<bool()> out_of_time = [&] { return elapsed() > options.timeout_seconds; };
  std::unique_ptr<Implementation> first = make();
  if (!first) throw std::invalid_argument("no such implementation");
  // Only what the implementation has: its op kinds and the kinds it maps.
  MapSet maps = first->supported_map_kinds();
  OpSet kinds = options.ops & first->supported_ops();
  if (maps == 0) kinds &= ~op_mask(OpKind::Mmap);
  // A search that can try nothing would find nothing and pass: bad input.
  if (kinds == 0)
    throw std::invalid_argument(
        "it has none of the op kinds asked for (" + op_set_names(options.ops) + "; it does " +
        op_set_names(first->supported_ops()) + (maps == 0 ? ", and maps no kind" : "") +
        "), so the search would try nothing");
  std::optional<Snapshot> first_snap = first->snapshot();
  if (!first_snap)
    throw std::invalid_argument("explore needs snapshots: a black-box implementation has none");
  if (!first->clone())
    throw std::invalid_argument("explore needs an implementation that can be cloned");
  unsigned threads =
      options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());

  ExploreResult result;
  KeySet seen;
  std::vector<Node> nodes{Node{kRoot, Op{}}};
  Semantics start_sem(options.machine);
  {
    StateKeyer keyer;
    const std::string& key = keyer.key(*first_snap, start_sem);
    seen.insert(key, KeySet::hash(key));
  }
  std::vector<Entry> frontier;
  frontier.push_back(Entry{0, std::move(first), std::move(start_sem), std::move(*first_snap)});
  std::vector<Entry> next;

  auto finish = [&] {
    result.states = seen.size();
    result.seconds = elapsed();
    result.peak_rss_bytes = peak_rss_bytes();
    result.key_bytes = seen.bytes();
    return result;
  };

  while (!frontier.empty()) {
    if (options.max_depth != 0 && result.depth >= options.max_depth) return finish();
    next.clear();
    std::size_t batch = kBatchPerThread * threads;
    for (std::size_t b = 0; b < frontier.size(); b += batch) {
      std::size_t end = std::min(frontier.size(), b + batch);
      std::vector<Share> shares(threads);
      std::vector<std::thread> workers;
      std::size_t per = (end - b + threads - 1) / threads;
      for (unsigned t = 0; t < threads; ++t) {
        std::size_t lo = std::min(end, b + t * per), hi = std::min(end, lo + per);
        auto work = [&, lo, hi, t] {
          expand(frontier, lo, hi, seen, options.values, kinds, maps, out_of_time, shares[t]);
        };
        if (t + 1 == threads)
          work();
        else
          workers.emplace_back(work);
      }
      for (std::thread& w : workers) w.join();
      for (const Share& share : shares) result.transitions += share.transitions;
      // Shares cover the batch in order, so the first violation in share
      // order is the one a single thread would have found first.
      for (Share& share : shares) {
        if (!share.failing) continue;
        std::vector<Op> ops = path_to(nodes, frontier[share.failing->first].node);
        ops.push_back(share.failing->second);
        // The harness has the last word on what the violation is.
        Trace replay = trace_from_start(make, options.machine, ops);
        result.finding = finding_from_trace(std::move(ops), replay, *share.violation);
        return finish();
      }
      for (const Share& share : shares)
        if (share.timed_out) {
          result.stopped = "timeout";
          return finish();
        }
      for (Share& share : shares)
        for (Candidate& c : share.candidates) {
          if (!seen.insert(c.key, c.hash)) continue;
          nodes.push_back(Node{frontier[c.entry].node, c.op});
          next.push_back(Entry{static_cast<std::uint32_t>(nodes.size() - 1), std::move(c.impl),
                               std::move(c.sem), std::move(c.snap)});
          if (seen.size() >= options.max_states) {
            result.stopped = "state limit";
            return finish();
          }
        }
    }
    ++result.depth;
    std::swap(frontier, next);
    if (on_level)
      on_level(ExploreProgress{result.depth, seen.size(), result.transitions, frontier.size(),
                               elapsed()});
  }
  result.complete = true;
  return finish();
}

}  // namespace cow::explore
