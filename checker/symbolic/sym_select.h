// Reading a variable at a symbolic index without arrays: an if-then-else
// chain over the few concrete indices. With a handful of slots, pages and
// frames this is what keeps the encoding in pure QF_BV.
#pragma once

#include <cstdint>
#include <vector>

#include <z3++.h>

#include "checker/symbolic/sym_state.h"

namespace cow::symbolic {

// items[index]; the last item when index is past the end (valid ops and
// well-typed states never are).
z3::expr pick(const std::vector<z3::expr>& items, const z3::expr& index);

// `a` where `c` holds, else `b`, field by field.
SymPte pte_if(const z3::expr& c, const SymPte& a, const SymPte& b);

// The PTE of (slot, vpn) in `state`.
SymPte pte_at(const SymState& state, const z3::expr& slot, const z3::expr& vpn);

// state.semantics[slot][vpn][word].
z3::expr semantic_word(const SymState& state, const z3::expr& slot, const z3::expr& vpn,
                       const z3::expr& word);

// contents[frame][word] for a fixed stored word.
z3::expr frame_word(const SymState& state, const z3::expr& frame, std::uint32_t word);

// How many of `conditions` hold, as a bit-vector of `width` bits.
z3::expr count_true(z3::context& ctx, const std::vector<z3::expr>& conditions, unsigned width);

// A live process that owns its space (not a vfork child in its parent's).
z3::expr owns_space(const SymState& state, std::size_t slot);

// For each frame, the present PTEs of live spaces that map it: what
// check_rc and check_wp call "maps" and "mappers".
std::vector<z3::expr> mappings(z3::context& ctx, const SymState& state, unsigned width);
// For each frame, the held pins that name it.
std::vector<z3::expr> pin_counts(z3::context& ctx, const SymState& state, unsigned width);
// For each swap slot, the swap PTEs of live spaces that name it.
std::vector<z3::expr> slot_refs(z3::context& ctx, const SymState& state, unsigned width);

// The frames whose refcount is 0: FrameTable's free list.
z3::expr free_frames(z3::context& ctx, const SymState& state, unsigned width);

z3::expr any_of(z3::context& ctx, const std::vector<z3::expr>& conditions);
z3::expr all_of(z3::context& ctx, const std::vector<z3::expr>& conditions);

}  // namespace cow::symbolic
