// The model's state as bit-vectors for a bounded machine: P process slots,
// V pages, F frames, values 0..NV. One variable per slot (page, frame, word)
// per field, never an array: Z3's QF_BV solver bit-blasts these fast, while
// arrays send it to a far slower procedure.
//
// A slot is where a live process sits; pids are not encoded (they only
// number processes in order of creation), the witness gives them back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <z3++.h>

#include "checker/symbolic/bug.h"
#include "spec/types.h"

namespace cow::symbolic {

struct SymConfig {
  Config machine;           // procs = slots, pages, frames, words
  std::uint32_t values = 2; // writes store 1..values; 0 is every word's start
  Bug bug = Bug::None;
  std::uint32_t depth = 8;  // the deepest unrolling; sizes the refcounts
};

// Bits per field, from the configuration. `stored_words` is words + 1 when
// words < kMaxWords: the extra word stands for all words past Config::words,
// which every frame holds as all 0 (a page) or all poison (freed), and which
// ISO compares too — that is how a copy without contents shows at words=1.
struct Widths {
  unsigned slot, vpn, frame, value, word, count, kind;
  std::uint32_t stored_words;
  std::uint32_t poison;  // the value code standing for model::kPoison
};

Widths widths_of(const SymConfig& config);
std::string to_string(const SymConfig& config);  // "procs=3 pages=2 ... mutant:X"

struct SymPte {
  z3::expr writable;
  z3::expr cow;
  z3::expr frame;
};

// present is not a variable: every page of a live process is present in the
// model and in every mutant (only exit clears a PTE, and exit removes the
// process), and a dead slot's PTEs are never looked at.
struct SymState {
  std::vector<z3::expr> live;                      // [slot] Bool
  std::vector<std::vector<SymPte>> pte;            // [slot][vpn]
  std::vector<z3::expr> refcount;                  // [frame]
  std::vector<std::vector<z3::expr>> contents;     // [frame][stored word]
  std::vector<std::vector<std::vector<z3::expr>>> semantics;  // [slot][vpn][word]: eager copy
};

// The op taken at one step. kind is an OpKind as a number (fork 0, write 1,
// read 2, exit 3); fields an op does not take are pinned to 0.
struct SymOp {
  z3::expr kind;
  z3::expr slot;
  z3::expr vpn;
  z3::expr value;
  z3::expr word;
};

// Fresh variables named "<field>[indices]@<tag>", tag being the time step.
SymState make_state(z3::context& ctx, const SymConfig& config, const std::string& tag);
SymOp make_op(z3::context& ctx, const SymConfig& config, const std::string& tag);

}  // namespace cow::symbolic
