#include "checker/symbolic/transition_system.h"

#include "checker/symbolic/sym_select.h"

namespace cow::symbolic {

TransitionSystem::TransitionSystem(z3::context& ctx, const SymConfig& config)
    : ctx_(ctx), config_(config), widths_(widths_of(config)) {}

z3::expr TransitionSystem::init(const SymState& s) const {
  const Config& m = config_.machine;
  std::vector<z3::expr> eq;
  for (std::uint32_t slot = 0; slot < m.procs; ++slot) {
    bool first = slot == 0;
    eq.push_back(s.live[slot] == ctx_.bool_val(first));
    eq.push_back(!s.susp[slot] && !s.borrow[slot]);
    eq.push_back(s.owner[slot] == slot_val(0) && s.vparent[slot] == slot_val(0));
    for (const z3::expr& o : s.older[slot]) eq.push_back(!o);
    for (std::uint32_t vpn = 0; vpn < m.pages; ++vpn) {
      const SymPte& p = s.pte[slot][vpn];
      // Every vpn private anon, present, writable, exclusive; frame_alloc
      // hands out the lowest free frame, so page v gets frame v.
      eq.push_back(p.kind == map_val(first ? MapKind::PrivateAnon : MapKind::None));
      eq.push_back(p.present == ctx_.bool_val(first));
      eq.push_back(p.writable == ctx_.bool_val(first));
      eq.push_back(p.excl == ctx_.bool_val(first));
      eq.push_back(!p.cow && !p.swapped && p.sslot == swap_val(0));
      eq.push_back(p.frame == frame_val(first ? vpn : 0));
      for (const z3::expr& word : s.semantics[slot][vpn]) eq.push_back(word == value_val(0));
    }
  }
  for (std::uint32_t f = 0; f < m.frames; ++f) {
    bool mapped = f < m.pages;
    eq.push_back(s.refcount[f] == count_val(mapped ? 1 : 0));
    // FrameTable starts every frame poisoned; the constructor zeroes the
    // ones it maps, every word of them.
    for (const z3::expr& word : s.contents[f])
      eq.push_back(word == value_val(mapped ? 0 : widths_.poison));
  }
  for (std::size_t k = 0; k < s.slot_rc.size(); ++k) {
    eq.push_back(s.slot_rc[k] == count_val(0));
    for (const z3::expr& word : s.slot_data[k]) eq.push_back(word == value_val(0));
  }
  for (const SymPin& pin : s.pins) {
    eq.push_back(!pin.held && !pin.rw && !pin.track);
    eq.push_back(pin.frame == frame_val(0) && pin.tslot == slot_val(0) && pin.tvpn == vpn_val(0));
    for (const z3::expr& word : pin.sem) eq.push_back(word == value_val(0));
  }
  return all_of(ctx_, eq);
}

z3::expr TransitionSystem::well_typed(const SymState& s) const {
  const Config& m = config_.machine;
  std::vector<z3::expr> ok;
  z3::expr last_slot = slot_val(m.procs - 1);
  for (std::uint32_t slot = 0; slot < m.procs; ++slot) {
    ok.push_back(z3::ule(s.owner[slot], last_slot) && z3::ule(s.vparent[slot], last_slot));
    for (std::uint32_t vpn = 0; vpn < m.pages; ++vpn) {
      const SymPte& p = s.pte[slot][vpn];
      ok.push_back(z3::ule(p.frame, frame_val(m.frames - 1)));
      ok.push_back(z3::ule(p.sslot, swap_val(config_.swap_slots - 1)));
      ok.push_back(p.kind == map_val(MapKind::None) || p.kind == map_val(MapKind::PrivateAnon));
      for (const z3::expr& word : s.semantics[slot][vpn])
        ok.push_back(z3::ule(word, value_val(config_.values)));
    }
  }
  // Past Config::words a frame or slot holds zeros or poison, nothing written.
  auto words_ok = [&](const std::vector<z3::expr>& words) {
    for (std::uint32_t w = 0; w < widths_.stored_words; ++w) {
      const z3::expr& word = words[w];
      if (w < m.words)
        ok.push_back(z3::ule(word, value_val(widths_.poison)));
      else
        ok.push_back(word == value_val(0) || word == value_val(widths_.poison));
    }
  };
  for (std::uint32_t f = 0; f < m.frames; ++f) words_ok(s.contents[f]);
  for (const auto& data : s.slot_data) words_ok(data);
  for (const SymPin& pin : s.pins) {
    ok.push_back(z3::ule(pin.frame, frame_val(m.frames - 1)));
    ok.push_back(z3::ule(pin.tslot, last_slot));
    ok.push_back(z3::ule(pin.tvpn, vpn_val(m.pages - 1)));
    for (std::uint32_t w = 0; w < widths_.stored_words; ++w)
      ok.push_back(w < m.words ? z3::ule(pin.sem[w], value_val(config_.values))
                               : pin.sem[w] == value_val(0));
  }
  return all_of(ctx_, ok);
}

}  // namespace cow::symbolic
