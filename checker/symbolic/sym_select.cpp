#include "checker/symbolic/sym_select.h"

namespace cow::symbolic {

z3::expr pick(const std::vector<z3::expr>& items, const z3::expr& index) {
  z3::expr result = items.back();
  for (std::size_t i = items.size() - 1; i-- > 0;)
    result = z3::ite(
        index == index.ctx().bv_val(static_cast<std::uint64_t>(i), index.get_sort().bv_size()),
        items[i], result);
  return result;
}

namespace {

template <class Field>
z3::expr pick2(const SymState& s, const z3::expr& slot, const z3::expr& vpn, Field field) {
  std::vector<z3::expr> by_slot;
  for (const auto& table : s.pte) {
    std::vector<z3::expr> by_vpn;
    for (const SymPte& p : table) by_vpn.push_back(field(p));
    by_slot.push_back(pick(by_vpn, vpn));
  }
  return pick(by_slot, slot);
}

}  // namespace

SymPte pte_if(const z3::expr& c, const SymPte& a, const SymPte& b) {
  return SymPte{z3::ite(c, a.kind, b.kind),         z3::ite(c, a.present, b.present),
                z3::ite(c, a.writable, b.writable), z3::ite(c, a.cow, b.cow),
                z3::ite(c, a.excl, b.excl),         z3::ite(c, a.frame, b.frame),
                z3::ite(c, a.swapped, b.swapped),   z3::ite(c, a.sslot, b.sslot)};
}

SymPte pte_at(const SymState& s, const z3::expr& slot, const z3::expr& vpn) {
  return SymPte{pick2(s, slot, vpn, [](const SymPte& p) { return p.kind; }),
                pick2(s, slot, vpn, [](const SymPte& p) { return p.present; }),
                pick2(s, slot, vpn, [](const SymPte& p) { return p.writable; }),
                pick2(s, slot, vpn, [](const SymPte& p) { return p.cow; }),
                pick2(s, slot, vpn, [](const SymPte& p) { return p.excl; }),
                pick2(s, slot, vpn, [](const SymPte& p) { return p.frame; }),
                pick2(s, slot, vpn, [](const SymPte& p) { return p.swapped; }),
                pick2(s, slot, vpn, [](const SymPte& p) { return p.sslot; })};
}

z3::expr owns_space(const SymState& s, std::size_t slot) { return s.live[slot] && !s.borrow[slot]; }

z3::expr semantic_word(const SymState& s, const z3::expr& slot, const z3::expr& vpn,
                       const z3::expr& word) {
  std::vector<z3::expr> by_slot;
  for (const auto& space : s.semantics) {
    std::vector<z3::expr> by_vpn;
    for (const auto& page : space) by_vpn.push_back(pick(page, word));
    by_slot.push_back(pick(by_vpn, vpn));
  }
  return pick(by_slot, slot);
}

z3::expr frame_word(const SymState& s, const z3::expr& frame, std::uint32_t word) {
  std::vector<z3::expr> column;
  for (const auto& words : s.contents) column.push_back(words[word]);
  return pick(column, frame);
}

z3::expr count_true(z3::context& ctx, const std::vector<z3::expr>& conditions, unsigned width) {
  z3::expr one = ctx.bv_val(1, width), zero = ctx.bv_val(0, width);
  z3::expr sum = zero;
  for (const z3::expr& c : conditions) sum = sum + z3::ite(c, one, zero);
  return sum;
}

std::vector<z3::expr> mappings(z3::context& ctx, const SymState& s, unsigned width) {
  unsigned frame_bits = s.pte.front().front().frame.get_sort().bv_size();
  std::vector<z3::expr> counts;
  for (std::size_t f = 0; f < s.refcount.size(); ++f) {
    std::vector<z3::expr> maps;
    for (std::size_t slot = 0; slot < s.pte.size(); ++slot)
      for (const SymPte& p : s.pte[slot])
        maps.push_back(owns_space(s, slot) && p.present &&
                       p.frame == ctx.bv_val(static_cast<std::uint64_t>(f), frame_bits));
    counts.push_back(count_true(ctx, maps, width));
  }
  return counts;
}

std::vector<z3::expr> pin_counts(z3::context& ctx, const SymState& s, unsigned width) {
  std::vector<z3::expr> counts;
  for (std::size_t f = 0; f < s.refcount.size(); ++f) {
    std::vector<z3::expr> held;
    for (const SymPin& pin : s.pins)
      held.push_back(pin.held && pin.frame == ctx.bv_val(static_cast<std::uint64_t>(f),
                                                         pin.frame.get_sort().bv_size()));
    counts.push_back(count_true(ctx, held, width));
  }
  return counts;
}

std::vector<z3::expr> slot_refs(z3::context& ctx, const SymState& s, unsigned width) {
  std::vector<z3::expr> counts;
  for (std::size_t k = 0; k < s.slot_rc.size(); ++k) {
    std::vector<z3::expr> refs;
    for (std::size_t slot = 0; slot < s.pte.size(); ++slot)
      for (const SymPte& p : s.pte[slot])
        refs.push_back(owns_space(s, slot) && p.swapped &&
                       p.sslot ==
                           ctx.bv_val(static_cast<std::uint64_t>(k), p.sslot.get_sort().bv_size()));
    counts.push_back(count_true(ctx, refs, width));
  }
  return counts;
}

z3::expr free_frames(z3::context& ctx, const SymState& s, unsigned width) {
  std::vector<z3::expr> free;
  for (const z3::expr& rc : s.refcount) free.push_back(rc == 0);
  return count_true(ctx, free, width);
}

z3::expr any_of(z3::context& ctx, const std::vector<z3::expr>& conditions) {
  z3::expr_vector v(ctx);
  for (const z3::expr& c : conditions) v.push_back(c);
  return v.empty() ? ctx.bool_val(false) : z3::mk_or(v);
}

z3::expr all_of(z3::context& ctx, const std::vector<z3::expr>& conditions) {
  z3::expr_vector v(ctx);
  for (const z3::expr& c : conditions) v.push_back(c);
  return v.empty() ? ctx.bool_val(true) : z3::mk_and(v);
}

}  // namespace cow::symbolic
