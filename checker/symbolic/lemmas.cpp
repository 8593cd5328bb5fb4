#include "checker/symbolic/lemmas.h"

#include "checker/symbolic/sym_select.h"

namespace cow::symbolic {

std::vector<Lemma> strengthening(const TransitionSystem& ts, const SymState& s) {
  z3::context& ctx = ts.ctx();
  const Widths& w = ts.widths();
  std::vector<z3::expr> maps = mappings(ctx, s, w.count);
  std::vector<z3::expr> counted, exclusive, shared_cow, holds_semantics, one_of;
  for (std::size_t f = 0; f < s.refcount.size(); ++f) counted.push_back(s.refcount[f] == maps[f]);
  for (std::size_t slot = 0; slot < s.live.size(); ++slot)
    for (std::size_t vpn = 0; vpn < s.pte[slot].size(); ++vpn) {
      const SymPte& p = s.pte[slot][vpn];
      const z3::expr& live = s.live[slot];
      z3::expr refs = pick(s.refcount, p.frame);
      z3::expr mappers = pick(maps, p.frame);
      exclusive.push_back(
          z3::implies(live && p.writable, refs == ts.count_val(1) && mappers == ts.count_val(1)));
      shared_cow.push_back(z3::implies(live && z3::ugt(mappers, ts.count_val(1)), p.cow));
      one_of.push_back(z3::implies(live, p.writable != p.cow));
      for (std::uint32_t word = 0; word < w.stored_words; ++word) {
        z3::expr want = word < s.semantics[slot][vpn].size() ? s.semantics[slot][vpn][word]
                                                             : ts.value_val(0);
        holds_semantics.push_back(z3::implies(live, frame_word(s, p.frame, word) == want));
      }
    }
  return {
      {"refcount-counts-mappings", "each frame's refcount is the live PTEs that map it (RC)",
       counted},
      {"writable-is-exclusive", "a writable PTE's frame has one reference and one mapping (WP)",
       exclusive},
      {"shared-is-cow", "a frame mapped twice is cow in every PTE mapping it (WP)",
       shared_cow},
      {"pages-hold-semantics", "every live page's frame holds its eager-copy contents (ISO)",
       holds_semantics},
      {"writable-xor-cow",
       "a live PTE is either writable or cow, never both nor neither: pte_write_protect and "
       "pte_make_writable are the only writers of the two bits",
       one_of},
  };
}

z3::expr Lemma::holds() const { return all_of(atoms.front().ctx(), atoms); }

z3::expr strengthening_holds(const TransitionSystem& ts, const SymState& s) {
  std::vector<z3::expr> all;
  for (const Lemma& l : strengthening(ts, s)) all.insert(all.end(), l.atoms.begin(), l.atoms.end());
  return all_of(ts.ctx(), all);
}

}  // namespace cow::symbolic
