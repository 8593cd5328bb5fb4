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
  // A refcount never exceeds procs*pages + pins in a correct state and grows
  // by at most `pages` (a fork) or procs*pages (a swap-in) a step in a
  // leaking one: no step of a K-deep unrolling wraps.
  w.count = bits_for(std::uint64_t{m.procs} * m.pages * (c.depth + 2) + c.pins + m.frames + 1);
  w.kind = 4;
  w.map = 3;
  w.range = bits_for(m.pages);
  w.pin = bits_for(c.pins - 1);
  w.swap = bits_for(c.swap_slots - 1);
  w.stored_words = m.words < kMaxWords ? m.words + 1 : m.words;
  return w;
}

std::string to_string(const SymConfig& c) {
  return fmt::format(
      "{} procs={} pages={} frames={} values={} words={} policy={} oom={} pins={} "
      "swap-slots={} ops={}",
      impl_of(c.bug), c.machine.procs, c.machine.pages, c.machine.frames, c.values, c.machine.words,
      policy_name(c.machine.policy), oom_name(c.machine.oom), c.pins, c.swap_slots,
      op_set_names(c.ops));
}

SymState make_state(z3::context& ctx, const SymConfig& config, const std::string& tag) {
  const Config& m = config.machine;
  Widths w = widths_of(config);
  auto b = [&](const std::string& name) { return ctx.bool_const((name + "@" + tag).c_str()); };
  auto v = [&](const std::string& name, unsigned bits) {
    return ctx.bv_const((name + "@" + tag).c_str(), bits);
  };
  SymState s;
  for (std::uint32_t slot = 0; slot < m.procs; ++slot) {
    s.live.push_back(b(fmt::format("live[{}]", slot)));
    s.susp.push_back(b(fmt::format("susp[{}]", slot)));
    s.borrow.push_back(b(fmt::format("borrow[{}]", slot)));
    s.owner.push_back(v(fmt::format("owner[{}]", slot), w.slot));
    s.vparent.push_back(v(fmt::format("vparent[{}]", slot), w.slot));
    auto& older = s.older.emplace_back();
    for (std::uint32_t other = 0; other < m.procs; ++other)
      older.push_back(b(fmt::format("older[{}][{}]", slot, other)));
    auto& table = s.pte.emplace_back();
    auto& sem = s.semantics.emplace_back();
    for (std::uint32_t vpn = 0; vpn < m.pages; ++vpn) {
      std::string at = fmt::format("[{}][{}]", slot, vpn);
      table.push_back(SymPte{v("kind" + at, w.map), b("present" + at), b("writable" + at),
                             b("cow" + at), b("excl" + at), v("frame" + at, w.frame),
                             b("swapped" + at), v("sslot" + at, w.swap)});
      auto& page = sem.emplace_back();
      for (std::uint32_t word = 0; word < m.words; ++word)
        page.push_back(v(fmt::format("sem[{}][{}][{}]", slot, vpn, word), w.value));
    }
  }
  for (std::uint32_t frame = 0; frame < m.frames; ++frame) {
    s.refcount.push_back(v(fmt::format("refcount[{}]", frame), w.count));
    auto& words = s.contents.emplace_back();
    for (std::uint32_t word = 0; word < w.stored_words; ++word)
      words.push_back(v(fmt::format("contents[{}][{}]", frame, word), w.value));
  }
  for (std::uint32_t k = 0; k < config.swap_slots; ++k) {
    s.slot_rc.push_back(v(fmt::format("slot_rc[{}]", k), w.count));
    auto& words = s.slot_data.emplace_back();
    for (std::uint32_t word = 0; word < w.stored_words; ++word)
      words.push_back(v(fmt::format("slot_data[{}][{}]", k, word), w.value));
  }
  for (std::uint32_t i = 0; i < config.pins; ++i) {
    std::string at = fmt::format("[{}]", i);
    SymPin pin{b("pin_held" + at),  v("pin_frame" + at, w.frame), b("pin_rw" + at),         {},
               b("pin_track" + at), v("pin_tslot" + at, w.slot),  v("pin_tvpn" + at, w.vpn)};
    for (std::uint32_t word = 0; word < w.stored_words; ++word)
      pin.sem.push_back(v(fmt::format("pin_sem[{}][{}]", i, word), w.value));
    s.pins.push_back(pin);
  }
  return s;
}

SymOp make_op(z3::context& ctx, const SymConfig& config, const std::string& tag) {
  Widths w = widths_of(config);
  auto v = [&](const char* name, unsigned bits) {
    return ctx.bv_const(fmt::format("op.{}@{}", name, tag).c_str(), bits);
  };
  return SymOp{v("kind", w.kind), v("slot", w.slot),
               v("vpn", w.vpn),   v("value", w.value),
               v("word", w.word), v("count", w.range),
               v("map", w.map),   ctx.bool_const(fmt::format("op.rw@{}", tag).c_str()),
               v("pin", w.pin)};
}

}  // namespace cow::symbolic
