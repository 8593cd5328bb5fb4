// The model's state as bit-vectors for a bounded machine: P process slots,
// V pages, F frames, S swap slots, N pin slots, values 0..NV. One variable
// per slot (page, frame, word) per field, never an array: Z3's QF_BV solver
// bit-blasts these fast, while arrays send it to a far slower procedure.
//
// A slot is where a live process sits; pids and pin ids are not encoded
// (they only number processes and pins in order of creation), the witness
// gives them back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <z3++.h>

#include "checker/symbolic/bug.h"
#include "spec/op.h"
#include "spec/types.h"

namespace cow::symbolic {

struct SymConfig {
  Config machine;            // procs = slots, pages, frames, words, policy, oom
  std::uint32_t values = 2;  // writes store 1..values; 0 is every word's start
  Bug bug = Mutant::None;
  std::uint32_t depth = 8;       // the deepest unrolling; sizes the refcounts
  std::uint32_t pins = 2;        // pin slots: at most this many pins held at once (1..2)
  std::uint32_t swap_slots = 1;  // swap slots: swapout is generated only with one free
  OpSet ops = kEncodedOps;       // the op kinds the solver may choose
};

// Bits per field, from the configuration. `stored_words` is words + 1 when
// words < kMaxWords: the extra word stands for all words past Config::words,
// which every frame holds as all 0 (a page) or all poison (freed), and which
// ISO compares too — that is how a copy without contents shows at words=1.
struct Widths {
  unsigned slot, vpn, frame, value, word, count, kind, map, range, pin, swap;
  std::uint32_t stored_words;
  std::uint32_t poison;  // the value code standing for model::kPoison
};

Widths widths_of(const SymConfig& config);
std::string to_string(const SymConfig& config);  // "procs=3 pages=2 ... mutant:X"

// A PTE: its mapping kind (a MapKind as a number; the encoding has
// private-anon and none), present with a frame, or a swap PTE naming a slot,
// or neither (untouched, or unmapped).
struct SymPte {
  z3::expr kind;
  z3::expr present;
  z3::expr writable;
  z3::expr cow;
  z3::expr excl;
  z3::expr frame;
  z3::expr swapped;
  z3::expr sslot;
};

struct SymPin {
  z3::expr held;
  z3::expr frame;
  z3::expr rw;
  std::vector<z3::expr> sem;  // [word] the semantic cell it pins
  z3::expr track;             // the cell is still (tslot, tvpn)'s own page
  z3::expr tslot;
  z3::expr tvpn;
};

struct SymState {
  std::vector<z3::expr> live;     // [slot] Bool
  std::vector<z3::expr> susp;     // [slot] suspended in vfork
  std::vector<z3::expr> borrow;   // [slot] a vfork child in another's space
  std::vector<z3::expr> owner;    // [slot] whose space a borrower uses
  std::vector<z3::expr> vparent;  // [slot] who a borrower resumes
  // [slot][slot] the first slot's space was made before the second's: the
  // model walks spaces in order of creation (its reverse map's order).
  std::vector<std::vector<z3::expr>> older;
  std::vector<std::vector<SymPte>> pte;                       // [slot][vpn]
  std::vector<z3::expr> refcount;                             // [frame]
  std::vector<std::vector<z3::expr>> contents;                // [frame][stored word]
  std::vector<z3::expr> slot_rc;                              // [swap slot]
  std::vector<std::vector<z3::expr>> slot_data;               // [swap slot][stored word]
  std::vector<SymPin> pins;                                   // [pin slot]
  std::vector<std::vector<std::vector<z3::expr>>> semantics;  // [slot][vpn][word]: eager copy
};

// The op taken at one step. kind is an OpKind as a number; fields an op
// does not take are pinned to 0.
struct SymOp {
  z3::expr kind;
  z3::expr slot;
  z3::expr vpn;
  z3::expr value;
  z3::expr word;
  z3::expr count;  // mmap, munmap
  z3::expr map;    // mmap
  z3::expr rw;     // pin (Bool)
  z3::expr pin;    // unpin: the pin slot
};

// Fresh variables named "<field>[indices]@<tag>", tag being the time step.
SymState make_state(z3::context& ctx, const SymConfig& config, const std::string& tag);
SymOp make_op(z3::context& ctx, const SymConfig& config, const std::string& tag);

}  // namespace cow::symbolic
