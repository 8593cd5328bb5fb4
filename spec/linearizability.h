// The oracle for concurrent runs: a history of calls is correct when some
// order of the whole calls, consistent with real time (a call that returned
// before another was invoked comes first), is a run the semantics allows
// answer by answer. The search is Lowe's just-in-time linearization: events
// are taken in time order, and the monitor keeps every state of the
// semantics that some order of the calls so far reaches, so a history of a
// million calls from a few lanes is checked in one pass.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "spec/call.h"
#include "spec/op.h"
#include "spec/outcome.h"
#include "spec/semantics.h"

namespace cow {

class LinearizabilityMonitor {
 public:
  explicit LinearizabilityMonitor(const Semantics& start);

  // A call starts on `lane`, which has none in flight.
  void invoke(std::uint32_t lane, const Op& op);
  // The call in flight on `lane` returned `outcome`. False when no order of
  // the calls so far explains it; why() then says what the semantics
  // allowed instead. How a fault was served is not compared: a program
  // cannot observe it.
  bool respond(std::uint32_t lane, const Outcome& outcome);

  bool quiescent() const { return pending_.empty(); }
  // Every state of the semantics some order of the calls so far reaches,
  // the calls in flight left out. One when the calls were sequential.
  std::vector<const Semantics*> states() const;
  const std::string& why() const { return why_; }

 private:
  // A state some order reaches, and the answers it already chose for calls
  // still in flight that it put before others.
  struct Config {
    Semantics sem;
    std::map<std::uint32_t, Outcome> early;
    friend bool operator==(const Config&, const Config&) = default;
  };

  void linearize_until(const Config& from, std::uint32_t lane, const Outcome& outcome,
                       std::vector<Config>& out, std::vector<Outcome>& allowed) const;

  std::vector<Config> configs_;
  std::map<std::uint32_t, Op> pending_;
  std::string why_;
};

// The whole history at once: its events in clock order through a monitor.
// Empty when it is linearizable, else why not, naming the first call no
// order explains.
std::optional<std::string> check_linearizable(const Semantics& start,
                                              std::span<const Call> history);

// The answers the semantics allows for `op` in `sem`: what it expects, and
// the choices it leaves open (out-of-memory, killed, busy).
std::vector<Outcome> allowed_outcomes(const Semantics& sem, const Op& op);

}  // namespace cow
