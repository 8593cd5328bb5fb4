#include "checker/bug_key.h"

#include <fmt/format.h>

namespace cow {

namespace {

// The op's kind and what changes its path through the mechanism.
std::string kind_word(const Op& op) {
  std::string word(op_kind_name(op.kind));
  if (op.kind == OpKind::Mmap) word += fmt::format(" {}", map_kind_name(op.map));
  if (op.kind == OpKind::Pin) word += op.rw ? " rw" : " ro";
  return word;
}

// Whose page the violation is about, relative to the failing op.
std::string_view victim(const Op& op, const Violation& v) {
  if (v.pid == 0) return "no one process";
  if (op.kind != OpKind::Unpin && op.pid == v.pid) return "the op's own process";
  return "another process";
}

}  // namespace

std::string bug_key(const std::vector<Op>& ops, const std::optional<Outcome>& last,
                    const Violation& violation) {
  std::string_view id = invariant_name(violation.id);
  if (ops.empty()) return fmt::format("{} while starting, before any op", id);
  const Op& op = ops.back();
  std::string answer = last ? fmt::format("{}, {}", status_name(last->status), fault_name(last->fault))
                            : std::string("no answer");
  return fmt::format("{} at {} ({}), on {}", id, kind_word(op), answer, victim(op, violation));
}

}  // namespace cow
