#include "spec/op.h"

#include <fmt/format.h>

namespace cow {

std::string_view op_kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::Fork: return "fork";
    case OpKind::Write: return "write";
    case OpKind::Read: return "read";
    case OpKind::Exit: return "exit";
  }
  return "?";
}

std::optional<OpKind> op_kind_from_name(std::string_view name) {
  for (OpKind kind : kAllOpKinds)
    if (op_kind_name(kind) == name) return kind;
  return std::nullopt;
}

int op_arity(OpKind kind) {
  switch (kind) {
    case OpKind::Fork: return 1;
    case OpKind::Write: return 3;
    case OpKind::Read: return 2;
    case OpKind::Exit: return 1;
  }
  return 0;
}

bool op_takes_word(OpKind kind) { return kind == OpKind::Write || kind == OpKind::Read; }

std::string to_string(const Op& op) {
  std::string word = op.word != 0 ? fmt::format(" {}", op.word) : "";
  switch (op.kind) {
    case OpKind::Write: return fmt::format("write {} {} {}{}", op.pid, op.vpn, op.value, word);
    case OpKind::Read: return fmt::format("read {} {}{}", op.pid, op.vpn, word);
    case OpKind::Fork:
    case OpKind::Exit: break;
  }
  return fmt::format("{} {}", op_kind_name(op.kind), op.pid);
}

}  // namespace cow
