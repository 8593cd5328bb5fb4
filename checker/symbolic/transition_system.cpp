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
    for (std::uint32_t vpn = 0; vpn < m.pages; ++vpn) {
      const SymPte& p = s.pte[slot][vpn];
      // frame_alloc hands out the lowest free frame, so page v gets frame v.
      eq.push_back(p.writable == ctx_.bool_val(first));
      eq.push_back(!p.cow);
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
  return all_of(ctx_, eq);
}

z3::expr TransitionSystem::well_typed(const SymState& s) const {
  const Config& m = config_.machine;
  std::vector<z3::expr> ok;
  for (std::uint32_t slot = 0; slot < m.procs; ++slot)
    for (std::uint32_t vpn = 0; vpn < m.pages; ++vpn) {
      ok.push_back(z3::ule(s.pte[slot][vpn].frame, frame_val(m.frames - 1)));
      for (const z3::expr& word : s.semantics[slot][vpn])
        ok.push_back(z3::ule(word, value_val(config_.values)));
    }
  for (std::uint32_t f = 0; f < m.frames; ++f)
    for (std::uint32_t w = 0; w < widths_.stored_words; ++w) {
      const z3::expr& word = s.contents[f][w];
      // Past Config::words a frame holds zeros or poison, nothing written.
      if (w < m.words) ok.push_back(z3::ule(word, value_val(widths_.poison)));
      else ok.push_back(word == value_val(0) || word == value_val(widths_.poison));
    }
  return all_of(ctx_, ok);
}

}  // namespace cow::symbolic
