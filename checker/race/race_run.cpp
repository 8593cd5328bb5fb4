#include "checker/race/race_program.h"

#include <fmt/format.h>

#include <algorithm>

#include "spec/linearizability.h"

namespace cow {

namespace {

// The call `op` made and what it returned was explained by no order.
Violation not_linearizable(const Op& op, const std::string& why) {
  std::optional<Vpn> vpn;
  if (op_touches_page(op.kind)) vpn = op.vpn;
  return Violation{InvariantId::ISO, op.pid, vpn, kNoFrame,
                   "no order of the calls explains the answers: " + why};
}

// The first violation of a quiet state against every state of the semantics
// some order reaches; none when one of them holds.
std::optional<Violation> check_quiet(const LinearizabilityMonitor& monitor, const Snapshot& snap) {
  std::optional<Violation> first;
  for (const Semantics* sem : monitor.states()) {
    std::optional<Violation> v = check_state(*sem, snap);
    if (!v) return std::nullopt;
    if (!first) first = v;
  }
  return first;
}

class Run {
 public:
  Run(const SteppedFactory& make, const Config& config, const RaceProgram& program)
      : program_(program), model_(make()), sem_(config) {}

  RaceTrace go() {
    try {
      if (run_setup()) run_lanes();
    } catch (const std::exception& e) {  // the model panicked: a bug of ours, shown whole
      trace_.violation = Violation{InvariantId::CRASH, 0, std::nullopt, kNoFrame, e.what()};
      trace_.violation_step = trace_.steps.size();
    }
    return std::move(trace_);
  }

 private:
  bool run_setup() {
    for (const Op& op : program_.setup) {
      Snapshot before = *model_->snapshot();
      Outcome expected = sem_.expect(op);
      Outcome actual = model_->apply(op);
      trace_.setup_outcomes.push_back(actual);
      Semantics sem_before = sem_;
      sem_.apply(op, actual);
      Snapshot after = *model_->snapshot();
      Step step{op, expected, actual, sem_, &before, &after, nullptr, &sem_before};
      if (std::optional<Violation> v = check_step(step)) {
        trace_.violation = v;
        trace_.in_setup = true;
        return false;
      }
    }
    return true;
  }

  // Whether `lane` can act now: step its op, or start its next one.
  bool can_act(std::uint32_t lane) const {
    if (model_->busy(lane)) return model_->enabled(lane);
    return next_[lane] < program_.lanes[lane].size() &&
           model_->can_start(lane, program_.lanes[lane][next_[lane]]);
  }

  std::optional<std::uint32_t> pick(std::size_t at) const {
    std::uint32_t lanes = static_cast<std::uint32_t>(program_.lanes.size());
    std::uint32_t first = at < program_.schedule.size() ? program_.schedule[at] % lanes : 0;
    for (std::uint32_t i = 0; i < lanes; ++i)
      if (can_act((first + i) % lanes)) return (first + i) % lanes;
    return std::nullopt;
  }

  void run_lanes() {
    if (program_.lanes.empty()) return;
    next_.assign(program_.lanes.size(), 0);
    in_flight_.assign(program_.lanes.size(), Call{});
    LinearizabilityMonitor monitor(sem_);
    for (std::size_t at = 0;; ++at) {
      std::optional<std::uint32_t> lane = pick(at);
      if (!lane) break;
      trace_.taken.push_back(*lane);
      std::uint32_t could = 0;
      for (std::uint32_t l = 0; l < program_.lanes.size(); ++l)
        if (can_act(l)) could |= 1u << l;
      trace_.could.push_back(could);
      if (!act(*lane, monitor)) return;
      if (model_->idle()) {
        if (std::optional<Violation> v = check_quiet(monitor, *model_->snapshot())) {
          trace_.violation = v;
          trace_.violation_step = trace_.steps.size();
          return;
        }
      }
    }
    if (!model_->idle())
      throw std::logic_error("the stepped model deadlocked: ops in flight and no lane can act");
    read_everything(monitor);
  }

  // The final contents, word by word, as a program would read them, one
  // read at a time: on every lane's CPU in turn, its own task's pages
  // first, so a translation a CPU kept past a change shows.
  void read_everything(LinearizabilityMonitor& monitor) {
    std::vector<Pid> pids;
    std::optional<Snapshot> snap = model_->snapshot();
    for (const ProcView& p : snap->procs) pids.push_back(p.pid);
    for (std::uint32_t lane = 0; lane < program_.lanes.size(); ++lane) {
      std::vector<Pid> order = pids;
      if (!program_.lanes[lane].empty()) {
        auto own = std::find(order.begin(), order.end(), program_.lanes[lane].back().pid);
        if (own != order.end()) std::rotate(order.begin(), own, own + 1);
      }
      for (Pid pid : order)
        for (Vpn vpn = 0; vpn < sem_.config().pages; ++vpn)
          for (std::uint32_t word = 0; word < sem_.config().words; ++word)
            if (!read_alone(lane, Op::read(pid, vpn, word), monitor)) return;
    }
    read_objects(monitor);
  }

  // Then every private page is dropped (MADV_DONTNEED) and read again: what
  // shows is the objects, the file and shared memory, which a store that
  // went to the wrong page may have changed with no process left to see it.
  void read_objects(LinearizabilityMonitor& monitor) {
    std::vector<Pid> pids;
    std::optional<Snapshot> snap = model_->snapshot();
    for (const ProcView& p : snap->procs)
      if (p.space == p.pid) pids.push_back(p.pid);
    for (Pid pid : pids) {
      if (!read_alone(0, Op::madvise(pid, 0, sem_.config().pages), monitor)) return;
      for (Vpn vpn = 0; vpn < sem_.config().pages; ++vpn)
        for (std::uint32_t word = 0; word < sem_.config().words; ++word)
          if (!read_alone(0, Op::read(pid, vpn, word), monitor)) return;
    }
  }

  // `op` run alone on `lane`, its answer explained or the violation kept.
  bool read_alone(std::uint32_t lane, const Op& read, LinearizabilityMonitor& monitor) {
    std::uint64_t tick = 2 * (trace_.steps.size() + trace_.final_reads.size());
    monitor.invoke(lane, read);
    std::optional<Outcome> got = model_->start(lane, read);
    while (!got) got = model_->step(lane);
    trace_.final_reads.push_back(Call{lane, read, *got, tick, tick + 1});
    if (monitor.respond(lane, *got)) return true;
    trace_.violation = not_linearizable(read, monitor.why());
    trace_.violation_step = trace_.steps.size();
    return false;
  }

  // One step of `lane`; false when it showed a violation.
  bool act(std::uint32_t lane, LinearizabilityMonitor& monitor) {
    RaceStep step;
    step.lane = lane;
    step.op_index = next_[lane];
    std::optional<Outcome> returned;
    std::uint64_t tick = 2 * trace_.steps.size();
    if (!model_->busy(lane)) {
      const Op& op = program_.lanes[lane][next_[lane]];
      in_flight_[lane] = Call{lane, op, Outcome{}, tick, 0};
      monitor.invoke(lane, op);
      step.starts = true;
      step.pc = model::Pc::Atomic;
      returned = model_->start(lane, op);
      if (!returned) step.pc = model_->next_step(lane);
    } else {
      step.pc = model_->next_step(lane);
      returned = model_->step(lane);
    }
    step.returned = returned;
    trace_.steps.push_back(step);
    if (!returned) return true;
    Call call = in_flight_[lane];
    call.outcome = *returned;
    call.returned = tick + 1;
    trace_.calls.push_back(call);
    ++next_[lane];
    if (!monitor.respond(lane, *returned)) {
      trace_.violation = not_linearizable(call.op, monitor.why());
      trace_.violation_step = trace_.steps.size();
      return false;
    }
    return true;
  }

  const RaceProgram& program_;
  std::unique_ptr<model::SteppedModel> model_;
  Semantics sem_;
  RaceTrace trace_;
  std::vector<std::size_t> next_;  // per lane: its next op
  std::vector<Call> in_flight_;
};

}  // namespace

RaceTrace run_race(const SteppedFactory& make, const Config& config, const RaceProgram& program) {
  return Run(make, config, program).go();
}

std::size_t switches(const std::vector<std::uint32_t>& schedule) {
  std::size_t n = 0;
  for (std::size_t i = 1; i < schedule.size(); ++i) n += schedule[i] != schedule[i - 1];
  return n;
}

std::string describe_steps(const RaceProgram& program, const RaceTrace& trace) {
  std::string text;
  for (const RaceStep& s : trace.steps) {
    const Op& op = program.lanes[s.lane][s.op_index];
    text += fmt::format("  lane {}: {:<22} {}{}\n", s.lane, to_string(op),
                        s.starts ? "start" : model::pc_name(s.pc),
                        s.returned ? " -> " + to_string(*s.returned) : std::string());
  }
  if (!trace.final_reads.empty()) {
    text += "  then, alone:";
    for (const Call& read : trace.final_reads)
      text +=
          fmt::format(" lane {} {} -> {};", read.lane, to_string(read.op), to_string(read.outcome));
    text += "\n";
  }
  return text;
}

}  // namespace cow
