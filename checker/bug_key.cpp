#include "checker/bug_key.h"

#include <fmt/format.h>

namespace cow {

namespace {

// The op's step in the mechanism. exit, exec, munmap, mmap (which unmaps
// what was there) and madvise all drop pages one way (exit_drop_page), so a bug
// there is one bug whichever of them shows it; a pin's rw takes the write
// fault path, ro the read one.
std::string kind_word(const Op& op) {
  switch (op.kind) {
    case OpKind::Exit:
    case OpKind::Exec:
    case OpKind::Munmap:
    case OpKind::Mmap:
    case OpKind::Madvise: return "a page drop (exit, exec, munmap, mmap, madvise)";
    case OpKind::Pin: return op.rw ? "pin rw" : "pin ro";
    default: return std::string(op_kind_name(op.kind));
  }
}

}  // namespace

std::string bug_key(const std::vector<Op>& ops, const std::optional<Outcome>& last,
                    const Violation& violation) {
  std::string_view id = invariant_name(violation.id);
  if (ops.empty()) return fmt::format("{} while starting, before any op", id);
  const Op& op = ops.back();
  std::string answer =
      last ? fmt::format("{}, {}", status_name(last->status), fault_name(last->fault))
           : std::string("no answer");
  return fmt::format("{} at {} ({})", id, kind_word(op), answer);
}

}  // namespace cow
