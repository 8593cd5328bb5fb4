// One step of the transition relation: the encoded model's next state
// (step_encoder.h), its validity, and after == next.
#include "checker/symbolic/step_encoder.h"
#include "checker/symbolic/sym_select.h"
#include "checker/symbolic/transition_system.h"

namespace cow::symbolic {

namespace {

z3::expr equal_states(z3::context& ctx, const SymState& a, const SymState& b) {
  std::vector<z3::expr> eq;
  auto same_pte = [&](const SymPte& p, const SymPte& q) {
    eq.push_back(p.kind == q.kind);
    eq.push_back(p.present == q.present);
    eq.push_back(p.writable == q.writable);
    eq.push_back(p.cow == q.cow);
    eq.push_back(p.excl == q.excl);
    eq.push_back(p.frame == q.frame);
    eq.push_back(p.swapped == q.swapped);
    eq.push_back(p.sslot == q.sslot);
  };
  for (std::size_t s = 0; s < a.live.size(); ++s) {
    eq.push_back(a.live[s] == b.live[s]);
    eq.push_back(a.susp[s] == b.susp[s]);
    eq.push_back(a.borrow[s] == b.borrow[s]);
    eq.push_back(a.owner[s] == b.owner[s]);
    eq.push_back(a.vparent[s] == b.vparent[s]);
    for (std::size_t x = 0; x < a.older[s].size(); ++x)
      eq.push_back(a.older[s][x] == b.older[s][x]);
    for (std::size_t v = 0; v < a.pte[s].size(); ++v) {
      same_pte(a.pte[s][v], b.pte[s][v]);
      for (std::size_t w = 0; w < a.semantics[s][v].size(); ++w)
        eq.push_back(a.semantics[s][v][w] == b.semantics[s][v][w]);
    }
  }
  for (std::size_t f = 0; f < a.refcount.size(); ++f) {
    eq.push_back(a.refcount[f] == b.refcount[f]);
    for (std::size_t w = 0; w < a.contents[f].size(); ++w)
      eq.push_back(a.contents[f][w] == b.contents[f][w]);
  }
  for (std::size_t k = 0; k < a.slot_rc.size(); ++k) {
    eq.push_back(a.slot_rc[k] == b.slot_rc[k]);
    for (std::size_t w = 0; w < a.slot_data[k].size(); ++w)
      eq.push_back(a.slot_data[k][w] == b.slot_data[k][w]);
  }
  for (std::size_t i = 0; i < a.pins.size(); ++i) {
    const SymPin& p = a.pins[i];
    const SymPin& q = b.pins[i];
    eq.push_back(p.held == q.held && p.frame == q.frame && p.rw == q.rw && p.track == q.track &&
                 p.tslot == q.tslot && p.tvpn == q.tvpn);
    for (std::size_t w = 0; w < p.sem.size(); ++w) eq.push_back(p.sem[w] == q.sem[w]);
  }
  return all_of(ctx, eq);
}

}  // namespace

SymStep TransitionSystem::step(const SymState& before, const SymOp& op,
                               const SymState& after) const {
  StepEncoder encoder(*this, before, op);
  SymOutcome outcome = encoder.encode();
  return SymStep{&before, &op, &after, outcome,
                 encoder.valid() && equal_states(ctx_, after, encoder.next())};
}

}  // namespace cow::symbolic
