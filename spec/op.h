// The operations a program can do to its address space. One vocabulary for
// the semantics, every implementation, every engine and the .cow files.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "spec/types.h"

namespace cow {

enum class OpKind : std::uint8_t { Fork, Write, Read, Exit };

inline constexpr OpKind kAllOpKinds[] = {OpKind::Fork, OpKind::Write,
                                         OpKind::Read, OpKind::Exit};

// `vpn` and `word` are meaningful for Write and Read, `value` for Write
// only; the constructors leave the others zero so equal ops compare equal.
struct Op {
  OpKind kind = OpKind::Read;
  Pid pid = 0;
  Vpn vpn = 0;
  Value value = 0;
  std::uint32_t word = 0;  // which word of the page

  static Op fork(Pid pid) { return {OpKind::Fork, pid, 0, 0, 0}; }
  static Op write(Pid pid, Vpn vpn, Value value, std::uint32_t word = 0) {
    return {OpKind::Write, pid, vpn, value, word};
  }
  static Op read(Pid pid, Vpn vpn, std::uint32_t word = 0) {
    return {OpKind::Read, pid, vpn, 0, word};
  }
  static Op exit(Pid pid) { return {OpKind::Exit, pid, 0, 0, 0}; }

  friend bool operator==(const Op&, const Op&) = default;
};

std::string_view op_kind_name(OpKind kind);
std::optional<OpKind> op_kind_from_name(std::string_view name);
// Integer arguments after the op's name in the text form: the required
// ones, and one more optional (the word) for write and read.
int op_arity(OpKind kind);
bool op_takes_word(OpKind kind);

// The text form used in .cow files and messages: "write 2 0 7", with the
// word last when it is not 0: "write 2 0 7 1", "read 2 0 1".
std::string to_string(const Op& op);

}  // namespace cow
