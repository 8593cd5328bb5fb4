#include "checker/race/race_random.h"

#include <rapidcheck.h>
#include <rapidcheck/detail/TestListenerAdapter.h>

#include <chrono>
#include <functional>
#include <iostream>

#include "checker/op_gen.h"

namespace cow {

namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// What RapidCheck draws and shrinks; resolved into a RaceProgram against
// the semantics, as the check campaign resolves its ops.
struct GenProgram {
  std::vector<GenOp> setup;
  std::size_t setup_len = 0;  // how many of `setup` are used: a shrink drops the last
  std::vector<std::vector<GenOp>> lanes;
  std::vector<std::size_t> lane_len;
  std::uint8_t focus = 0;          // the page most ops are moved to, so they meet
  std::vector<std::uint8_t> near;  // per op, setup first: nonzero keeps its own page
  // Per lane: nonzero runs its ops as the lane's own task (see below).
  std::vector<std::uint8_t> own_task;
  std::vector<std::uint8_t> schedule;
  std::size_t schedule_len = 0;
};

// Every count is drawn apart from the ops it counts, and the whole at the
// nominal size: RapidCheck scales ranges by its size, which would squeeze
// every op's arguments to their least in a short list.
rc::Gen<GenProgram> gen_program(const RaceOptions& o) {
  auto count = [](std::size_t most) { return rc::gen::inRange<std::size_t>(0, most + 1); };
  auto flags = [](std::size_t n, int off, int on) {
    return rc::gen::container<std::vector<std::uint8_t>>(
        n, rc::gen::weightedOneOf<std::uint8_t>(
               {{off, rc::gen::just<std::uint8_t>(0)}, {on, rc::gen::just<std::uint8_t>(1)}}));
  };
  auto ops = [&o](std::size_t n) {
    return rc::gen::container<std::vector<GenOp>>(n, gen_op(o.config, o.ops));
  };
  return rc::gen::resize(
      100, rc::gen::build<GenProgram>(
               rc::gen::set(&GenProgram::setup, ops(o.max_setup)),
               rc::gen::set(&GenProgram::setup_len, count(o.max_setup)),
               rc::gen::set(&GenProgram::lanes, rc::gen::container<std::vector<std::vector<GenOp>>>(
                                                    o.lanes, ops(o.max_lane_ops))),
               rc::gen::set(&GenProgram::lane_len, rc::gen::container<std::vector<std::size_t>>(
                                                       o.lanes, count(o.max_lane_ops))),
               rc::gen::set(&GenProgram::focus, rc::gen::inRange<std::uint8_t>(0, 8)),
               rc::gen::set(&GenProgram::near, flags(o.max_setup + o.lanes * o.max_lane_ops, 3, 1)),
               rc::gen::set(&GenProgram::own_task, flags(o.lanes, 1, 3)),
               rc::gen::set(&GenProgram::schedule,
                            rc::gen::container<std::vector<std::uint8_t>>(
                                o.max_schedule, rc::gen::inRange<std::uint8_t>(0, 8))),
               rc::gen::set(&GenProgram::schedule_len, count(o.max_schedule))));
}

RaceProgram resolve_program(const GenProgram& g, const RaceOptions& o) {
  RaceProgram p;
  Semantics sem(o.config);
  // Lanes are CPUs, and most often they run threads of one process: lane 0
  // the first process, each other lane a thread of it made first.
  std::vector<Pid> lane_task{kInitPid};
  for (std::uint32_t lane = 1; lane < o.lanes && lane < o.config.procs; ++lane) {
    Op thread = Op::thread(kInitPid);
    lane_task.push_back(sem.expect(thread).child);
    sem.apply(thread, sem.expect(thread));
    p.setup.push_back(thread);
  }
  lane_task.resize(o.lanes, kInitPid);
  std::size_t k = 0;
  auto place = [&](GenOp op) {
    bool own_page = k < g.near.size() && g.near[k] != 0;
    ++k;
    if (!own_page) op.vpn = g.focus;
    return op;
  };
  for (std::size_t i = 0; i < g.setup_len && i < g.setup.size(); ++i) {
    const GenOp& op = g.setup[i];
    std::optional<Op> resolved = resolve(place(op), sem, kAllMaps);
    if (!resolved) continue;
    sem.apply(*resolved, sem.expect(*resolved));
    p.setup.push_back(*resolved);
  }
  k = o.max_setup;
  for (std::size_t lane = 0; lane < g.lanes.size(); ++lane) {
    std::vector<Op> ops;
    for (std::size_t i = 0; i < g.lane_len[lane] && i < g.lanes[lane].size(); ++i) {
      const GenOp& op = g.lanes[lane][i];
      std::optional<Op> resolved = resolve(place(op), sem, kAllMaps);
      if (!resolved) continue;
      bool own = lane < g.own_task.size() && g.own_task[lane] != 0 &&
                 resolved->kind != OpKind::Unpin && sem.live(lane_task[lane]);
      if (own) resolved->pid = lane_task[lane];
      ops.push_back(*resolved);
    }
    p.lanes.push_back(std::move(ops));
  }
  for (std::size_t i = 0; i < g.schedule_len && i < g.schedule.size(); ++i)
    p.schedule.push_back(g.schedule[i] % o.lanes);
  return p;
}

}  // namespace

rc::Gen<RaceProgram> gen_race_program(const RaceOptions& options) {
  return rc::gen::map(gen_program(options),
                      [options](const GenProgram& g) { return resolve_program(g, options); });
}

namespace {

struct Search {
  Search(const SteppedFactory& m, const RaceOptions& o) : make(m), options(o) {}

  const SteppedFactory& make;
  const RaceOptions& options;
  Clock::time_point start = Clock::now();
  std::optional<Clock::time_point> first_failure;
  RaceResult result;

  void run_property() {
    RaceProgram program = *gen_race_program(options);
    if (!first_failure) ++result.runs;
    RaceTrace trace = run_race(make, options.config, program);
    result.steps += trace.steps.size() + program.setup.size();
    if (!trace.violation) return;
    if (!first_failure) {
      first_failure = Clock::now();
      result.finding = RaceFinding{program, trace, result.runs, program, since(start), 0};
    }
    // RapidCheck shrinks after the first failure: the last failure is the least.
    result.finding->program = program;
    result.finding->trace = trace;
    RC_FAIL(to_string(*trace.violation));
  }
};

// Whether `candidate` fails with `id`.
bool fails(const SteppedFactory& make, const Config& config, const RaceProgram& candidate,
           InvariantId id) {
  RaceTrace trace = run_race(make, config, candidate);
  return trace.violation && trace.violation->id == id;
}

template <typename T>
bool try_erase(std::vector<T>& list, std::size_t i, const std::function<bool()>& still_fails) {
  T kept = list[i];
  list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
  if (still_fails()) return true;
  list.insert(list.begin() + static_cast<std::ptrdiff_t>(i), kept);
  return false;
}

}  // namespace

RaceProgram minimize_race(const SteppedFactory& make, const Config& config, RaceProgram program,
                          InvariantId id) {
  std::function<bool()> still_fails = [&] { return fails(make, config, program, id); };
  // A schedule is smaller when its run takes fewer steps, then fewer switches.
  auto size = [&](const RaceProgram& p) {
    std::vector<std::uint32_t> taken = run_race(make, config, p).taken;
    return std::pair{taken.size(), switches(taken)};
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = program.setup.size(); i-- > 0;)
      changed |= try_erase(program.setup, i, still_fails);
    for (std::vector<Op>& lane : program.lanes)
      for (std::size_t i = lane.size(); i-- > 0;) changed |= try_erase(lane, i, still_fails);
    program.schedule = run_race(make, config, program).taken;
    for (std::size_t i = 0; i < program.schedule.size(); ++i) {
      auto before = size(program);
      for (bool erase : {true, false}) {
        if (!erase && (i == 0 || program.schedule[i] == program.schedule[i - 1])) continue;
        RaceProgram candidate = program;
        if (erase)
          candidate.schedule.erase(candidate.schedule.begin() + static_cast<std::ptrdiff_t>(i));
        else
          candidate.schedule[i] = candidate.schedule[i - 1];
        if (fails(make, config, candidate, id) && size(candidate) < before) {
          program = std::move(candidate);
          program.schedule = run_race(make, config, program).taken;
          changed = true;
          break;
        }
      }
    }
  }
  program.schedule = run_race(make, config, program).taken;
  return program;
}

RaceResult race_random(const SteppedFactory& make, const RaceOptions& options) {
  Search search(make, options);
  rc::detail::TestParams params;
  params.seed = options.seed;
  params.maxSuccess = options.runs;
  params.maxSize = 100;
  params.maxDiscardRatio = 10;
  rc::detail::TestListenerAdapter quiet;
  rc::detail::TestMetadata metadata{"cowcheck", "cowcheck race"};
  std::streambuf* cerr_buf = std::cerr.rdbuf(nullptr);  // RapidCheck's configuration line
  rc::detail::TestResult outcome =
      rc::detail::checkTestable([&search] { search.run_property(); }, metadata, params, quiet);
  std::cerr.rdbuf(cerr_buf);
  std::cerr.clear();
  RaceResult result = std::move(search.result);
  if (rc::detail::Error error; outcome.match(error)) result.error = error.description;
  if (rc::detail::GaveUpResult gave_up; outcome.match(gave_up)) result.error = gave_up.description;
  if (result.finding) {
    RaceFinding& f = *result.finding;
    f.program = minimize_race(make, options.config, f.program, f.trace.violation->id);
    f.trace = run_race(make, options.config, f.program);
  }
  if (result.finding && search.first_failure)
    result.finding->seconds_to_shrink = since(*search.first_failure);
  result.seconds = since(search.start);
  return result;
}

}  // namespace cow
