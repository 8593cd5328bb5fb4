#include "checker/race/race_black_box.h"

#include <rapidcheck/detail/TestListenerAdapter.h>

#include <algorithm>
#include <chrono>
#include <iostream>

#include "spec/linearizability.h"

namespace cow {

namespace {

// The pids a history can name: every child a call returned, and pid 1.
Pid last_pid(const std::vector<Call>& calls) {
  Pid last = kInitPid;
  for (const Call& c : calls)
    if (c.outcome.status == Status::Ok &&
        (c.op.kind == OpKind::Fork || c.op.kind == OpKind::Vfork || c.op.kind == OpKind::Thread))
      last = std::max(last, c.outcome.child);
  return last;
}

std::uint64_t overlapping_pairs(const std::vector<Call>& calls) {
  std::uint64_t n = 0;
  for (std::size_t i = 0; i < calls.size(); ++i)
    for (std::size_t j = i + 1; j < calls.size(); ++j)
      n += calls[i].lane != calls[j].lane && calls[i].invoked < calls[j].returned &&
           calls[j].invoked < calls[i].returned;
  return n;
}

}  // namespace

BlackBoxRun run_black_box(const ImplFactory& make, const Config& config,
                          const RaceProgram& program) {
  std::unique_ptr<Implementation> impl = make();
  impl->isolate();
  BlackBoxRun run;
  std::uint64_t tick = 0;
  auto alone = [&](const Op& op) {
    Outcome out = impl->apply(op);
    run.history.push_back(Call{0, op, out, tick, tick + 1});
    tick += 2;
  };
  for (const Op& op : program.setup) alone(op);
  std::vector<Call> lanes = impl->run_lanes(program.lanes);
  std::uint64_t base = tick;
  for (Call& c : lanes) {
    c.invoked += base;
    c.returned += base;
    tick = std::max(tick, c.returned + 1);
  }
  run.overlapped = overlapping_pairs(lanes);
  run.history.insert(run.history.end(), lanes.begin(), lanes.end());
  Pid last = last_pid(run.history);
  OpSet ops = impl->supported_ops();
  for (Pid pid = kInitPid; pid <= last; ++pid)
    for (Vpn vpn = 0; vpn < config.pages; ++vpn)
      for (std::uint32_t word = 0; word < config.words; ++word) alone(Op::read(pid, vpn, word));
  if (op_in(ops, OpKind::Madvise))
    for (Pid pid = kInitPid; pid <= last; ++pid) {
      alone(Op::madvise(pid, 0, config.pages));
      for (Vpn vpn = 0; vpn < config.pages; ++vpn)
        for (std::uint32_t word = 0; word < config.words; ++word) alone(Op::read(pid, vpn, word));
    }
  run.why = check_linearizable(Semantics(config), run.history);
  return run;
}

BlackBoxResult race_black_box(const ImplFactory& make, const RaceOptions& options) {
  auto start = std::chrono::steady_clock::now();
  BlackBoxResult result;
  RaceOptions o = options;
  try {
    o.ops &= make()->supported_ops();
  } catch (const std::exception& e) {
    result.error = e.what();
    return result;
  }
  bool failed = false;
  auto property = [&] {
    RaceProgram program = *gen_race_program(o);
    if (!failed) ++result.runs;
    BlackBoxRun run;
    try {
      run = run_black_box(make, o.config, program);
    } catch (const UnsupportedOp& e) {
      result.error = e.what();
      return;
    } catch (const std::exception& e) {  // it stopped: a crash, a hang
      run.why = std::string("the implementation stopped: ") + e.what();
    }
    result.calls += run.history.size();
    result.overlapped += run.overlapped;
    if (!run.why) return;
    if (!failed) result.finding = BlackBoxFinding{program, run, result.runs};
    failed = true;
    // A shrink that fails again replaces it; one that passes may only have
    // raced differently, so the first failure is kept until then.
    result.finding->program = program;
    result.finding->run = run;
    RC_FAIL(*run.why);
  };
  rc::detail::TestParams params;
  params.seed = o.seed;
  params.maxSuccess = o.runs;
  params.maxSize = 100;
  rc::detail::TestListenerAdapter quiet;
  rc::detail::TestMetadata metadata{"cowcheck", "cowcheck race (black box)"};
  std::streambuf* cerr_buf = std::cerr.rdbuf(nullptr);
  rc::detail::TestResult outcome =
      rc::detail::checkTestable([&] { property(); }, metadata, params, quiet);
  std::cerr.rdbuf(cerr_buf);
  std::cerr.clear();
  if (rc::detail::Error error; outcome.match(error)) result.error = error.description;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace cow
