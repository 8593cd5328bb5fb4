#include "spec/linearizability.h"

#include <algorithm>

#include <fmt/format.h>

namespace cow {

namespace {

// How a fault was served is not observable by the program.
Outcome observable(Outcome outcome) {
  outcome.fault = Fault::None;
  return outcome;
}

template <typename T>
void add_unique(std::vector<T>& list, T item) {
  if (std::find(list.begin(), list.end(), item) == list.end()) list.push_back(std::move(item));
}

std::string outcome_list(const std::vector<Outcome>& outcomes) {
  std::string text;
  for (const Outcome& o : outcomes) text += (text.empty() ? "" : " or ") + to_string(o);
  return text.empty() ? "nothing" : text;
}

}  // namespace

std::vector<Outcome> allowed_outcomes(const Semantics& sem, const Op& op) {
  Outcome expected = sem.expect(op);
  std::vector<Outcome> out{expected};
  for (Status choice : {Status::OutOfMemory, Status::Killed, Status::Busy}) {
    Outcome alt = Outcome::error(choice);
    if (sem.allows(op, expected, alt)) out.push_back(alt);
  }
  return out;
}

LinearizabilityMonitor::LinearizabilityMonitor(const Semantics& start)
    : configs_{Config{start, {}}} {}

void LinearizabilityMonitor::invoke(std::uint32_t lane, const Op& op) { pending_[lane] = op; }

// Every way to put `lane`'s call in the order now: after any sequence of the
// other calls in flight, each with an answer the semantics allows there.
void LinearizabilityMonitor::linearize_until(const Config& from, std::uint32_t lane,
                                             const Outcome& outcome, std::vector<Config>& out,
                                             std::vector<Outcome>& allowed) const {
  if (auto early = from.early.find(lane); early != from.early.end()) {
    if (early->second == outcome) {
      Config done = from;
      done.early.erase(lane);
      add_unique(out, std::move(done));
    } else {
      add_unique(allowed, early->second);
    }
    return;
  }
  const Op& op = pending_.at(lane);
  for (const Outcome& answer : allowed_outcomes(from.sem, op)) {
    add_unique(allowed, answer);
    if (answer != outcome) continue;
    Config next = from;
    next.sem.apply(op, answer);
    add_unique(out, std::move(next));
  }
  for (const auto& [other, other_op] : pending_) {
    if (other == lane || from.early.count(other) != 0) continue;
    for (const Outcome& answer : allowed_outcomes(from.sem, other_op)) {
      Config next = from;
      next.sem.apply(other_op, answer);
      next.early[other] = answer;
      linearize_until(next, lane, outcome, out, allowed);
    }
  }
}

bool LinearizabilityMonitor::respond(std::uint32_t lane, const Outcome& outcome) {
  Outcome seen = observable(outcome);
  std::vector<Config> next;
  std::vector<Outcome> allowed;
  for (const Config& config : configs_) linearize_until(config, lane, seen, next, allowed);
  Op op = pending_.at(lane);
  pending_.erase(lane);
  if (next.empty()) {
    why_ = fmt::format(
        "lane {}: {} returned {}, but in every order of the calls so far the "
        "semantics answers {}",
        lane, to_string(op), to_string(seen), outcome_list(allowed));
    return false;
  }
  configs_ = std::move(next);
  return true;
}

std::vector<const Semantics*> LinearizabilityMonitor::states() const {
  std::vector<const Semantics*> out;
  for (const Config& config : configs_)
    if (config.early.empty()) out.push_back(&config.sem);
  return out;
}

std::optional<std::string> check_linearizable(const Semantics& start,
                                              std::span<const Call> history) {
  struct Event {
    std::uint64_t tick;
    bool is_return;
    std::size_t call;
  };
  std::vector<Event> events;
  for (std::size_t i = 0; i < history.size(); ++i) {
    events.push_back({history[i].invoked, false, i});
    events.push_back({history[i].returned, true, i});
  }
  // At one tick, invocations first: calls that touch at a tick overlap.
  std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) {
    return a.tick != b.tick ? a.tick < b.tick : a.is_return < b.is_return;
  });
  LinearizabilityMonitor monitor(start);
  for (const Event& e : events) {
    const Call& call = history[e.call];
    if (!e.is_return) {
      monitor.invoke(call.lane, call.op);
    } else if (!monitor.respond(call.lane, call.outcome)) {
      return fmt::format("call {} ({}): {}", e.call, to_string(call.op), monitor.why());
    }
  }
  return std::nullopt;
}

}  // namespace cow
