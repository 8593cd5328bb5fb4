// The operations a program can do to its address space. One vocabulary for
// the semantics, every implementation, every engine and the .cow files.
#pragma once

#include <array>
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
  Fork,      // fork P: the child gets the next pid and a COW copy of P's space
  Write,     // write P VPN VALUE [WORD]
  Read,      // read P VPN [WORD]
  Exit,      // exit P
  Exec,      // exec P: a fresh space, every page private anon and untouched
  Vfork,     // vfork P: the child borrows P's space; P is suspended until it execs or exits
  Mmap,      // mmap P VPN COUNT KIND: a fresh mapping over the range (MAP_FIXED)
  Munmap,    // munmap P VPN COUNT
  Swapout,   // swapout P VPN: evict the page's frame; the next touch brings it back
  Pin,       // pin P VPN [ro|rw]: a long-term reference, as get_user_pages takes
  Unpin,     // unpin ID [WORD]: read a word through the pin, then drop it
  Copyout,   // copyout P VPN VALUE [WORD]: the kernel writes into a user page
  Thread,    // thread P: a new task (the next pid) in P's address space, clone(CLONE_VM)
  Madvise,   // madvise P VPN COUNT: MADV_DONTNEED, the range's pages are dropped
  Memwrite,  // memwrite P VPN VALUE [WORD]: a write through /proc/P/mem (FOLL_FORCE)
};

// The fields an op does not use stay zero, so equal ops compare equal.
struct Op {
  OpKind kind = OpKind::Read;
  Pid pid = 0;                  // every op but unpin
  Vpn vpn = 0;                  // write, read, mmap, munmap, swapout, pin, copyout
  Value value = 0;              // write, copyout
  std::uint32_t word = 0;       // write, read, unpin, copyout: which word of the page
  std::uint32_t count = 0;      // mmap, munmap: pages in the range
  MapKind map = MapKind::None;  // mmap
  bool rw = false;              // pin: a writable pin (breaks COW first)
  PinId pin = 0;                // unpin

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
  static Op thread(Pid pid) { return {OpKind::Thread, pid}; }
  static Op madvise(Pid pid, Vpn vpn, std::uint32_t count) {
    return {OpKind::Madvise, pid, vpn, 0, 0, count};
  }
  static Op memwrite(Pid pid, Vpn vpn, Value value, std::uint32_t word = 0) {
    return {OpKind::Memwrite, pid, vpn, value, word};
  }

  friend bool operator==(const Op&, const Op&) = default;
};

// What an op's text form holds, in order. Word and Mode are optional and
// come last; a .cow line may leave them off.
enum class OpArg : std::uint8_t { None, Pid, Vpn, Value, Word, Count, Map, Mode, PinId };

// One row per op: everything a layer needs to know about an op without a
// switch of its own. Adding an op is one enumerator and one row here, then
// the verb in each implementation (docs/architecture.md).
struct OpInfo {
  OpKind kind;
  std::string_view name;      // as in .cow files and --ops
  std::array<OpArg, 4> args;  // the text form after the name
  bool touches_page;          // names one page of one process, so may fault on it
  bool may_need_frame;        // may allocate: RC counts its frames (frames_needed)
  std::uint32_t wire;  // its worker-protocol code (impl/plugin/wire.h); 0: never sent to plug-ins
  std::string_view abi_entry;  // the struct cow_plugin member that runs it
  int weight;                  // how often the random engine draws it
  std::string_view summary;    // one line for help texts
  // The Z3 encoding (checker/symbolic/) has its steps, so prove may choose
  // it. A new op starts unencoded: every other engine runs it at once.
  bool encoded = true;
};

inline constexpr OpInfo kOps[] = {
    {OpKind::Fork,
     "fork",
     {OpArg::Pid},
     false,
     true,
     1,
     "fork",
     4,
     "the child gets the next pid and a COW copy of PID's space"},
    {OpKind::Write,
     "write",
     {OpArg::Pid, OpArg::Vpn, OpArg::Value, OpArg::Word},
     true,
     true,
     2,
     "write",
     5,
     "the user stores VALUE into a word of the page"},
    {OpKind::Read,
     "read",
     {OpArg::Pid, OpArg::Vpn, OpArg::Word},
     true,
     true,
     3,
     "read",
     2,
     "the user loads a word of the page"},
    {OpKind::Exit,
     "exit",
     {OpArg::Pid},
     false,
     false,
     4,
     "exit",
     2,
     "the process ends; its frames go back"},
    {OpKind::Exec,
     "exec",
     {OpArg::Pid},
     false,
     false,
     6,
     "exec",
     1,
     "a fresh space, every page private anon and untouched"},
    {OpKind::Vfork,
     "vfork",
     {OpArg::Pid},
     false,
     false,
     7,
     "vfork",
     1,
     "the child borrows PID's space; PID waits until it execs or exits"},
    {OpKind::Mmap,
     "mmap",
     {OpArg::Pid, OpArg::Vpn, OpArg::Count, OpArg::Map},
     false,
     false,
     8,
     "mmap",
     1,
     "a fresh mapping of KIND over COUNT pages (MAP_FIXED)"},
    {OpKind::Munmap,
     "munmap",
     {OpArg::Pid, OpArg::Vpn, OpArg::Count},
     false,
     false,
     9,
     "munmap",
     1,
     "unmap COUNT pages"},
    {OpKind::Swapout,
     "swapout",
     {OpArg::Pid, OpArg::Vpn},
     true,
     false,
     10,
     "swapout",
     1,
     "evict the page's frame; the next touch brings it back"},
    {OpKind::Pin,
     "pin",
     {OpArg::Pid, OpArg::Vpn, OpArg::Mode},
     true,
     true,
     11,
     "pin",
     2,
     "a long-term reference, as get_user_pages takes"},
    {OpKind::Unpin,
     "unpin",
     {OpArg::PinId, OpArg::Word},
     false,
     false,
     12,
     "unpin",
     1,
     "read a word through the pin, then drop it"},
    {OpKind::Copyout,
     "copyout",
     {OpArg::Pid, OpArg::Vpn, OpArg::Value, OpArg::Word},
     true,
     true,
     13,
     "copyout",
     1,
     "the kernel stores VALUE into a user page"},
    {OpKind::Thread,
     "thread",
     {OpArg::Pid},
     false,
     false,
     0,
     "",
     1,
     "a new task, the next pid, in PID's address space (clone with CLONE_VM)",
     false},
    {OpKind::Madvise,
     "madvise",
     {OpArg::Pid, OpArg::Vpn, OpArg::Count},
     false,
     false,
     0,
     "",
     1,
     "MADV_DONTNEED: drop COUNT pages; private ones read as zeros or the file again",
     false},
    {OpKind::Memwrite,
     "memwrite",
     {OpArg::Pid, OpArg::Vpn, OpArg::Value, OpArg::Word},
     true,
     true,
     0,
     "",
     1,
     "a write through /proc/PID/mem: forced, so a read-only private page gets a private copy",
     false},
};

// Every op kind, in table order.
inline constexpr auto kAllOpKinds = [] {
  std::array<OpKind, std::size(kOps)> kinds{};
  for (std::size_t i = 0; i < kinds.size(); ++i) kinds[i] = kOps[i].kind;
  return kinds;
}();

constexpr const OpInfo& op_info(OpKind kind) { return kOps[static_cast<std::size_t>(kind)]; }

static_assert(
    [] {
      for (std::size_t i = 0; i < std::size(kOps); ++i)
        if (static_cast<std::size_t>(kOps[i].kind) != i) return false;
      return true;
    }(),
    "kOps is indexed by OpKind");

// A set of op kinds: what a generator may produce, what an implementation
// supports. Bit i is OpKind i.
using OpSet = std::uint32_t;
inline constexpr OpSet op_mask(OpKind kind) { return OpSet{1} << static_cast<int>(kind); }
inline constexpr OpSet kAllOps = (OpSet{1} << std::size(kOps)) - 1;
// The ops every implementation has: the ones cowcheck started with.
inline constexpr OpSet kCoreOps =
    op_mask(OpKind::Fork) | op_mask(OpKind::Write) | op_mask(OpKind::Read) | op_mask(OpKind::Exit);
inline constexpr bool op_in(OpSet set, OpKind kind) { return (set & op_mask(kind)) != 0; }
// The ops that tasks and their races need: a thread, MADV_DONTNEED and a
// forced write (Dirty COW's three). Not every implementation has them.
inline constexpr OpSet kTaskOps =
    op_mask(OpKind::Thread) | op_mask(OpKind::Madvise) | op_mask(OpKind::Memwrite);
// The ops the Z3 encoding covers (the rows marked `encoded`).
inline constexpr OpSet kEncodedOps = [] {
  OpSet set = 0;
  for (const OpInfo& info : kOps)
    if (info.encoded) set |= op_mask(info.kind);
  return set;
}();
// Calls f(kind) for every op kind in `set`, in table order.
template <typename F>
void for_each_op(OpSet set, F&& f) {
  for (const OpInfo& info : kOps)
    if (op_in(set, info.kind)) f(info.kind);
}
// "fork,write,read" -> the set, or nullopt naming nothing known; "all" is every op.
std::optional<OpSet> op_set_from_names(std::string_view names);
std::string op_set_names(OpSet set);
// "fork, write, ...": every op's name, for help and error texts.
std::string op_names();

inline std::string_view op_kind_name(OpKind kind) { return op_info(kind).name; }
std::optional<OpKind> op_kind_from_name(std::string_view name);
// "PID VPN VALUE [WORD]": the words after the op's name.
std::string op_usage(OpKind kind);

// Ops that name one page of one process (and so may fault on it).
constexpr bool op_touches_page(OpKind kind) { return op_info(kind).touches_page; }
// Ops that read or write one word of a page: write, read, unpin, copyout.
constexpr bool op_takes_word(OpKind kind) {
  for (OpArg arg : op_info(kind).args)
    if (arg == OpArg::Word) return true;
  return false;
}

// The text form used in .cow files and messages: "write 2 0 7", with the
// word last when it is not 0: "write 2 0 7 1", "read 2 0 1", "pin 2 0 rw",
// "mmap 1 0 2 shared-anon", "unpin 1".
std::string to_string(const Op& op);

// The op a line's words spell (the op's name first), or why they do not.
std::variant<Op, std::string> parse_op(std::span<const std::string_view> words);

}  // namespace cow
