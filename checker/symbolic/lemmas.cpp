#include "checker/symbolic/lemmas.h"

#include "checker/symbolic/sym_select.h"
#include "spec/reuse_policy.h"

namespace cow::symbolic {

std::vector<Lemma> strengthening(const TransitionSystem& ts, const SymState& s) {
  z3::context& ctx = ts.ctx();
  const Widths& w = ts.widths();
  std::vector<z3::expr> maps = mappings(ctx, s, w.count);
  std::vector<z3::expr> pins = pin_counts(ctx, s, w.count);
  std::vector<z3::expr> srefs = slot_refs(ctx, s, w.count);
  std::vector<z3::expr> counted, slots_counted, exclusive, excl_one, shared_cow, holds_semantics,
      pins_hold, one_of, core;
  z3::expr one = ts.count_val(1);
  for (std::size_t f = 0; f < s.refcount.size(); ++f)
    counted.push_back(s.refcount[f] == maps[f] + pins[f]);
  for (std::size_t k = 0; k < s.slot_rc.size(); ++k)
    slots_counted.push_back(s.slot_rc[k] == srefs[k]);
  for (std::size_t slot = 0; slot < s.live.size(); ++slot)
    for (std::size_t vpn = 0; vpn < s.pte[slot].size(); ++vpn) {
      const SymPte& p = s.pte[slot][vpn];
      z3::expr live = owns_space(s, slot);
      z3::expr on = live && p.present;
      z3::expr mappers = pick(maps, p.frame);
      exclusive.push_back(z3::implies(on && p.writable, mappers == one));
      excl_one.push_back(z3::implies(on && p.excl, mappers == one));
      shared_cow.push_back(z3::implies(on && z3::ugt(mappers, one), p.cow));
      one_of.push_back(z3::implies(live && (p.present || p.swapped), p.writable != p.cow));
      one_of.push_back(z3::implies(live && (p.present || p.swapped) && p.writable, p.excl));
      z3::expr unmapped = p.kind == ts.map_val(MapKind::None);
      std::vector<z3::expr> column;
      for (std::uint32_t word = 0; word < w.stored_words; ++word) {
        z3::expr want =
            word < s.semantics[slot][vpn].size() ? s.semantics[slot][vpn][word] : ts.value_val(0);
        std::vector<z3::expr> from_slot;
        for (const auto& data : s.slot_data) from_slot.push_back(data[word]);
        z3::expr held = z3::ite(p.present, frame_word(s, p.frame, word),
                                z3::ite(p.swapped, pick(from_slot, p.sslot), ts.value_val(0)));
        holds_semantics.push_back(z3::implies(live && !unmapped, held == want));
      }
      holds_semantics.push_back(z3::implies(live && unmapped, !p.present && !p.swapped));
      core.push_back(z3::implies(s.live[slot], !s.borrow[slot] && !s.susp[slot] &&
                                                   p.kind == ts.map_val(MapKind::PrivateAnon) &&
                                                   p.present && !p.swapped));
    }
  for (const SymPin& pin : s.pins) {
    for (std::uint32_t word = 0; word < w.stored_words; ++word)
      pins_hold.push_back(z3::implies(pin.held, frame_word(s, pin.frame, word) == pin.sem[word]));
    core.push_back(!pin.held);
  }
  // Pins under `exclusive`: a pinned page is its process's alone, and the
  // pin follows it (same frame, same contents) until it is unmapped.
  std::vector<z3::expr> pins_follow, swap_shared, vfork;
  for (const SymPin& pin : s.pins) {
    for (std::size_t slot = 0; slot < s.live.size(); ++slot)
      for (std::size_t vpn = 0; vpn < s.pte[slot].size(); ++vpn) {
        const SymPte& p = s.pte[slot][vpn];
        z3::expr here = pin.tslot == ts.slot_val(static_cast<std::uint32_t>(slot)) &&
                        pin.tvpn == ts.vpn_val(static_cast<std::uint32_t>(vpn));
        z3::expr tracked = pin.held && pin.track && here;
        pins_follow.push_back(z3::implies(
            tracked, owns_space(s, slot) && p.present && p.excl && p.frame == pin.frame));
        for (std::size_t word = 0; word < s.semantics[slot][vpn].size(); ++word)
          pins_follow.push_back(
              z3::implies(tracked, pin.sem[word] == s.semantics[slot][vpn][word]));
        pins_follow.push_back(
            z3::implies(pin.held && owns_space(s, slot) && p.present && p.frame == pin.frame,
                        pin.track && here));
      }
  }
  for (std::size_t slot = 0; slot < s.live.size(); ++slot) {
    z3::expr live = owns_space(s, slot);
    for (const SymPte& p : s.pte[slot]) {
      z3::expr shared = z3::ugt(pick(srefs, p.sslot), one);
      swap_shared.push_back(
          z3::implies(live && p.swapped, !p.present && p.kind == ts.map_val(MapKind::PrivateAnon)));
      swap_shared.push_back(z3::implies(live && p.swapped && shared, p.cow && !p.excl));
    }
    // vfork: a borrower runs in a live owner's space and has a suspended
    // parent in that space; a suspended process waits for one borrower.
    z3::expr me = ts.slot_val(static_cast<std::uint32_t>(slot));
    z3::expr parent_ok = ctx.bool_val(false);
    z3::expr owner_ok = ctx.bool_val(false);
    z3::expr waited_for = ctx.bool_val(false);
    for (std::size_t x = 0; x < s.live.size(); ++x) {
      z3::expr at = ts.slot_val(static_cast<std::uint32_t>(x));
      owner_ok = owner_ok || (s.owner[slot] == at && owns_space(s, x) && s.susp[x] && x != slot);
      parent_ok =
          parent_ok ||
          (s.vparent[slot] == at && s.live[x] && s.susp[x] &&
           ((!s.borrow[x] && s.owner[slot] == at) || (s.borrow[x] && s.owner[x] == s.owner[slot])));
      waited_for = waited_for || (s.live[x] && s.borrow[x] && s.vparent[x] == me);
      if (x != slot)
        vfork.push_back(!(s.live[x] && s.borrow[x] && s.live[slot] && s.borrow[slot] &&
                          s.vparent[x] == s.vparent[slot]));
    }
    vfork.push_back(z3::implies(s.live[slot] && s.borrow[slot],
                                owner_ok && parent_ok && s.vparent[slot] != me));
    vfork.push_back(z3::implies(s.live[slot] && s.susp[slot], waited_for));
    vfork.push_back(z3::implies(!s.live[slot], !s.borrow[slot] && !s.susp[slot]));
  }
  std::vector<Lemma> lemmas = {
      {"refcount-counts-references",
       "each frame's refcount is the present PTEs of live spaces that map it plus the pins that "
       "hold it (RC)",
       counted},
      {"slot-refcount-counts-swap-ptes",
       "each swap slot's refcount is the swap PTEs that name it (RC)", slots_counted},
      {"writable-is-exclusive", "a writable present PTE's frame has one mapping (WP)", exclusive},
      {"exclusive-is-one-mapping", "an exclusive present PTE's frame has one mapping (WP)",
       excl_one},
      {"shared-is-cow", "a frame mapped twice is cow in every PTE mapping it (WP)", shared_cow},
      {"pages-hold-semantics",
       "every page of a live space holds its eager-copy contents in its frame, its swap slot, or "
       "(untouched) nowhere, every word; an unmapped page has neither (ISO)",
       holds_semantics},
      {"pins-hold-semantics", "every held pin's frame holds its cell's contents (ISO)", pins_hold},
      {"writable-xor-cow",
       "a present or swapped PTE is either writable or cow, never both nor neither, and "
       "exclusive when writable: pte_share and pte_make_writable are the only writers of the "
       "bits",
       one_of},
  };
  lemmas.push_back({"swap-ptes-share-like-frames",
                    "a swap PTE is private anon and not present; one whose slot two PTEs name is "
                    "cow and not exclusive (WP after swap-in)",
                    swap_shared});
  lemmas.push_back(
      {"vfork-shape",
       "a vfork child runs in a live, suspended owner's space and its parent (not itself) is "
       "suspended in it; a suspended process waits for exactly one child; a dead slot "
       "is neither",
       vfork});
  // A pin keeps its page only where nothing can copy the page away from
  // it: a read-only pin unshares, fork copies a pinned page for the child,
  // and the reuse test reads the exclusive bit these leave.
  const PolicyInfo& rules = policy_info(ts.config().machine.policy);
  if (rules.ro_pin_unshares && rules.fork_copies_pinned && rules.tracks_exclusive)
    lemmas.push_back({"pins-follow-their-page",
                      "under exclusive: a pin still tracking its page holds that page's frame, "
                      "which is present and exclusive, and sees its contents; a present page on "
                      "a pinned frame is the one its pins track",
                      pins_follow});
  // With only fork, write, read and exit, none of the newer state can arise:
  // say so, or the free first state of an induction step starts with it.
  if ((ts.config().ops & ~kCoreOps) == 0)
    lemmas.push_back({"core-shape",
                      "with --ops core: no pin is held, no process is a vfork child or suspended, "
                      "and every page of a live process is private anon and present",
                      core});
  return lemmas;
}

z3::expr Lemma::holds() const { return all_of(atoms.front().ctx(), atoms); }

z3::expr strengthening_holds(const TransitionSystem& ts, const SymState& s) {
  std::vector<z3::expr> all;
  for (const Lemma& l : strengthening(ts, s)) all.insert(all.end(), l.atoms.begin(), l.atoms.end());
  return all_of(ts.ctx(), all);
}

}  // namespace cow::symbolic
