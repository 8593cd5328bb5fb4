#include "checker/explore/race_explore.h"

#include <chrono>
#include <functional>

#include "checker/explore/explorer.h"
#include "checker/race/race_random.h"

namespace cow::explore {

namespace {

using Clock = std::chrono::steady_clock;

struct Search {
  const SteppedFactory& make;
  const RaceExploreOptions& o;
  RaceExploreResult result;
  bool done = false;  // a program failed, or the bound was reached

  Search(const SteppedFactory& m, const RaceExploreOptions& options) : make(m), o(options) {}

  // Every interleaving of `program`, depth first: each run's schedule is
  // taken as far as the branch point, then each other lane that could act.
  void interleavings(RaceProgram program) {
    std::vector<std::vector<std::uint32_t>> todo{{}};
    while (!todo.empty()) {
      if (result.runs >= o.max_runs) {
        result.stopped = "the bound of " + std::to_string(o.max_runs) + " interleavings";
        done = true;
        return;
      }
      program.schedule = std::move(todo.back());
      todo.pop_back();
      std::size_t branch_from = program.schedule.size();
      RaceTrace trace = run_race(make, o.config, program);
      ++result.runs;
      result.steps += trace.steps.size();
      if (trace.violation) keep_if_better(program, trace);
      for (std::size_t i = branch_from; i < trace.could.size() && i < trace.taken.size(); ++i)
        for (std::uint32_t lane = 0; lane < program.lanes.size(); ++lane)
          if ((trace.could[i] >> lane & 1u) != 0 && lane != trace.taken[i]) {
            std::vector<std::uint32_t> other(trace.taken.begin(),
                                             trace.taken.begin() + static_cast<std::ptrdiff_t>(i));
            other.push_back(lane);
            todo.push_back(std::move(other));
          }
    }
  }

  void keep_if_better(RaceProgram program, const RaceTrace& trace) {
    program.schedule = trace.taken;
    auto size = [](const RaceTrace& t) { return std::pair{t.taken.size(), switches(t.taken)}; };
    if (!result.trace || size(trace) < size(*result.trace)) {
      result.program = program;
      result.trace = trace;
    }
    done = true;  // no bigger program is tried once this one fails
  }

  // The lanes' op lists, each from `choices`, `counts[i]` ops for lane i.
  void lanes(RaceProgram& program, const std::vector<Op>& choices,
             const std::vector<std::uint32_t>& counts, std::size_t lane) {
    if (done && !result.trace) return;
    if (lane == counts.size()) {
      for (std::size_t i = 1; i < program.lanes.size(); ++i)  // lane symmetry
        if (counts[i] == counts[i - 1] &&
            std::lexicographical_compare(
                program.lanes[i].begin(), program.lanes[i].end(), program.lanes[i - 1].begin(),
                program.lanes[i - 1].end(),
                [](const Op& a, const Op& b) { return to_string(a) < to_string(b); }))
          return;
      ++result.programs;
      interleavings(program);
      return;
    }
    std::function<void(std::uint32_t)> fill = [&](std::uint32_t left) {
      if (left == 0) {
        lanes(program, choices, counts, lane + 1);
        return;
      }
      for (const Op& op : choices) {
        program.lanes[lane].push_back(op);
        fill(left - 1);
        program.lanes[lane].pop_back();
        if (done && result.trace) return;
      }
    };
    fill(counts[lane]);
  }

  // `setup_left` more setup ops, then lanes holding `lane_ops` ops in all.
  void with_setup(RaceProgram& program, const Semantics& sem, std::uint32_t setup_left,
                  std::uint32_t lane_ops) {
    if (done) return;
    if (setup_left == 0) {
      std::vector<Op> choices = ops_from(sem, o.values, o.ops);
      // Lane op counts with this total, each at most lane_ops, none empty.
      std::vector<std::uint32_t> counts(o.lanes, 1);
      std::function<void(std::size_t, std::uint32_t)> split = [&](std::size_t i,
                                                                  std::uint32_t left) {
        if (i == counts.size()) {
          if (left == 0) {
            program.lanes.assign(o.lanes, {});
            lanes(program, choices, counts, 0);
          }
          return;
        }
        for (std::uint32_t n = 1; n <= o.lane_ops && n <= left; ++n) {
          counts[i] = n;
          split(i + 1, left - n);
        }
      };
      split(0, lane_ops);
      return;
    }
    for (const Op& op : ops_from(sem, o.values, o.ops)) {
      Semantics next = sem;
      next.apply(op, next.expect(op));
      program.setup.push_back(op);
      with_setup(program, next, setup_left - 1, lane_ops);
      program.setup.pop_back();
      if (done) return;
    }
  }
};

}  // namespace

RaceExploreResult race_explore(const SteppedFactory& make, const RaceExploreOptions& options) {
  auto start = Clock::now();
  Search search(make, options);
  // Lane i's task: pid 1 and its threads, made first.
  RaceProgram base;
  Semantics sem(options.config);
  for (std::uint32_t lane = 1; lane < options.lanes && lane < options.config.procs; ++lane) {
    Op thread = Op::thread(kInitPid);
    sem.apply(thread, sem.expect(thread));
    base.setup.push_back(thread);
  }
  // Smallest programs first; of one size, fewer setup ops first.
  std::uint32_t most = options.setup_ops + options.lanes * options.lane_ops;
  for (std::uint32_t size = options.lanes; size <= most && !search.done; ++size)
    for (std::uint32_t setup = 0; setup <= options.setup_ops && !search.done; ++setup) {
      if (size < setup + options.lanes || size - setup > options.lanes * options.lane_ops) continue;
      RaceProgram program = base;
      search.with_setup(program, sem, setup, size - setup);
    }
  RaceExploreResult result = std::move(search.result);
  result.complete = !result.trace && result.stopped.empty();
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace cow::explore
