#include "checker/symbolic/sym_state.h"

#include <fmt/format.h>

namespace cow::symbolic {

namespace {

// Bits to hold every number 0..n, at least one.
unsigned bits_for(std::uint64_t n) {
  unsigned bits = 1;
  while ((n >> bits) != 0) ++bits;
  return bits;
}

}  // namespace

Widths widths_of(const SymConfig& c) {
  const Config& m = c.machine;
  Widths w{};
  w.slot = bits_for(m.procs - 1);
  w.vpn = bits_for(m.pages - 1);
  w.frame = bits_for(m.frames - 1);
  w.poison = c.values + 1;
  w.value = bits_for(w.poison);
  w.word = bits_for(m.words - 1);
  // A refcount never exceeds procs*pages in a correct state and grows by at
  // most `pages` a step in a leaking one: no step of a K-deep unrolling wraps.
  w.count = bits_for(std::uint64_t{m.procs} * m.pages + std::uint64_t{m.pages} * c.depth + m.frames + 1);
  w.kind = 2;
  w.stored_words = m.words < kMaxWords ? m.words + 1 : m.words;
  return w;
}

std::string to_string(const SymConfig& c) {
  return fmt::format("{} procs={} pages={} frames={} values={} words={}", impl_of(c.bug),
                     c.machine.procs, c.machine.pages, c.machine.frames, c.values, c.machine.words);
}

SymState make_state(z3::context& ctx, const SymConfig& config, const std::string& tag) {
  const Config& m = config.machine;
  Widths w = widths_of(config);
  SymState s;
  for (std::uint32_t slot = 0; slot < m.procs; ++slot) {
    s.live.push_back(ctx.bool_const(fmt::format("live[{}]@{}", slot, tag).c_str()));
    auto& table = s.pte.emplace_back();
    auto& sem = s.semantics.emplace_back();
    for (std::uint32_t vpn = 0; vpn < m.pages; ++vpn) {
      table.push_back(SymPte{
          ctx.bool_const(fmt::format("writable[{}][{}]@{}", slot, vpn, tag).c_str()),
          ctx.bool_const(fmt::format("cow[{}][{}]@{}", slot, vpn, tag).c_str()),
          ctx.bv_const(fmt::format("frame[{}][{}]@{}", slot, vpn, tag).c_str(), w.frame)});
      auto& page = sem.emplace_back();
      for (std::uint32_t word = 0; word < m.words; ++word)
        page.push_back(
            ctx.bv_const(fmt::format("sem[{}][{}][{}]@{}", slot, vpn, word, tag).c_str(), w.value));
    }
  }
  for (std::uint32_t frame = 0; frame < m.frames; ++frame) {
    s.refcount.push_back(ctx.bv_const(fmt::format("refcount[{}]@{}", frame, tag).c_str(), w.count));
    auto& words = s.contents.emplace_back();
    for (std::uint32_t word = 0; word < w.stored_words; ++word)
      words.push_back(
          ctx.bv_const(fmt::format("contents[{}][{}]@{}", frame, word, tag).c_str(), w.value));
  }
  return s;
}

SymOp make_op(z3::context& ctx, const SymConfig& config, const std::string& tag) {
  Widths w = widths_of(config);
  return SymOp{ctx.bv_const(fmt::format("op.kind@{}", tag).c_str(), w.kind),
               ctx.bv_const(fmt::format("op.slot@{}", tag).c_str(), w.slot),
               ctx.bv_const(fmt::format("op.vpn@{}", tag).c_str(), w.vpn),
               ctx.bv_const(fmt::format("op.value@{}", tag).c_str(), w.value),
               ctx.bv_const(fmt::format("op.word@{}", tag).c_str(), w.word)};
}

}  // namespace cow::symbolic
