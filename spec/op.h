// The operations a program can do to its address space. One vocabulary for
// the semantics, every implementation, every engine and the .cow files.
#pragma once

#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "spec/types.h"

namespace cow {

enum class OpKind : std::uint8_t {
  Fork,     // fork P: the child gets the next pid and a COW copy of P's space
  Write,    // write P VPN VALUE [WORD]
  Read,     // read P VPN [WORD]
  Exit,     // exit P
  Exec,     // exec P: a fresh space, every page private anon and untouched
  Vfork,    // vfork P: the child borrows P's space; P is suspended until it execs or exits
  Mmap,     // mmap P VPN COUNT KIND: a fresh mapping over the range (MAP_FIXED)
  Munmap,   // munmap P VPN COUNT
  Swapout,  // swapout P VPN: evict the page's frame; the next touch brings it back
  Pin,      // pin P VPN [ro|rw]: a long-term reference, as get_user_pages takes
  Unpin,    // unpin ID [WORD]: read a word through the pin, then drop it
  Copyout,  // copyout P VPN VALUE [WORD]: the kernel writes into a user page
};

inline constexpr OpKind kAllOpKinds[] = {
    OpKind::Fork,   OpKind::Write,   OpKind::Read, OpKind::Exit,  OpKind::Exec,   OpKind::Vfork,
    OpKind::Mmap,   OpKind::Munmap,  OpKind::Swapout, OpKind::Pin, OpKind::Unpin, OpKind::Copyout};

// The fields an op does not use stay zero, so equal ops compare equal.
struct Op {
  OpKind kind = OpKind::Read;
  Pid pid = 0;              // every op but unpin
  Vpn vpn = 0;              // write, read, mmap, munmap, swapout, pin, copyout
  Value value = 0;          // write, copyout
  std::uint32_t word = 0;   // write, read, unpin, copyout: which word of the page
  std::uint32_t count = 0;  // mmap, munmap: pages in the range
  MapKind map = MapKind::None;  // mmap
  bool rw = false;          // pin: a writable pin (breaks COW first)
  PinId pin = 0;            // unpin

  static Op fork(Pid pid) { return {OpKind::Fork, pid}; }
  static Op write(Pid pid, Vpn vpn, Value value, std::uint32_t word = 0) {
    return {OpKind::Write, pid, vpn, value, word};
  }
  static Op read(Pid pid, Vpn vpn, std::uint32_t word = 0) {
    return {OpKind::Read, pid, vpn, 0, word};
  }
  static Op exit(Pid pid) { return {OpKind::Exit, pid}; }
  static Op exec(Pid pid) { return {OpKind::Exec, pid}; }
  static Op vfork(Pid pid) { return {OpKind::Vfork, pid}; }
  static Op mmap(Pid pid, Vpn vpn, std::uint32_t count, MapKind map) {
    return {OpKind::Mmap, pid, vpn, 0, 0, count, map};
  }
  static Op munmap(Pid pid, Vpn vpn, std::uint32_t count) {
    return {OpKind::Munmap, pid, vpn, 0, 0, count};
  }
  static Op swapout(Pid pid, Vpn vpn) { return {OpKind::Swapout, pid, vpn}; }
  static Op pin_page(Pid pid, Vpn vpn, bool rw = false) {
    return {OpKind::Pin, pid, vpn, 0, 0, 0, MapKind::None, rw};
  }
  static Op unpin(PinId id, std::uint32_t word = 0) {
    return {OpKind::Unpin, 0, 0, 0, word, 0, MapKind::None, false, id};
  }
  static Op copyout(Pid pid, Vpn vpn, Value value, std::uint32_t word = 0) {
    return {OpKind::Copyout, pid, vpn, value, word};
  }

  friend bool operator==(const Op&, const Op&) = default;
};

// A set of op kinds: what a generator may produce, what an implementation
// supports. Bit i is OpKind i.
using OpSet = std::uint32_t;
inline constexpr OpSet op_mask(OpKind kind) { return OpSet{1} << static_cast<int>(kind); }
inline constexpr OpSet kAllOps = (OpSet{1} << std::size(kAllOpKinds)) - 1;
// The ops every implementation has: the ones cowcheck started with.
inline constexpr OpSet kCoreOps =
    op_mask(OpKind::Fork) | op_mask(OpKind::Write) | op_mask(OpKind::Read) | op_mask(OpKind::Exit);
inline constexpr bool op_in(OpSet set, OpKind kind) { return (set & op_mask(kind)) != 0; }
// "fork,write,read" -> the set, or nullopt naming nothing known; "all" is every op.
std::optional<OpSet> op_set_from_names(std::string_view names);
std::string op_set_names(OpSet set);

std::string_view op_kind_name(OpKind kind);
std::optional<OpKind> op_kind_from_name(std::string_view name);

// Ops that name one page of one process (and so may fault on it).
bool op_touches_page(OpKind kind);
// Ops that read or write one word of a page: write, read, unpin, copyout.
bool op_takes_word(OpKind kind);

// The text form used in .cow files and messages: "write 2 0 7", with the
// word last when it is not 0: "write 2 0 7 1", "read 2 0 1", "pin 2 0 rw",
// "mmap 1 0 2 shared-anon", "unpin 1".
std::string to_string(const Op& op);

// The op a line's words spell (the op's name first), or why they do not.
std::variant<Op, std::string> parse_op(std::span<const std::string_view> words);

}  // namespace cow
