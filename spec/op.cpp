#include "spec/op.h"

#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace cow {

namespace {

constexpr std::pair<OpKind, std::string_view> kNames[] = {
    {OpKind::Fork, "fork"},       {OpKind::Write, "write"},   {OpKind::Read, "read"},
    {OpKind::Exit, "exit"},       {OpKind::Exec, "exec"},     {OpKind::Vfork, "vfork"},
    {OpKind::Mmap, "mmap"},       {OpKind::Munmap, "munmap"}, {OpKind::Swapout, "swapout"},
    {OpKind::Pin, "pin"},         {OpKind::Unpin, "unpin"},   {OpKind::Copyout, "copyout"},
};

// The argument list of each op's text form; [WORD] and [ro|rw] are optional.
std::string_view usage(OpKind kind) {
  switch (kind) {
    case OpKind::Fork:
    case OpKind::Exit:
    case OpKind::Exec:
    case OpKind::Vfork: return "PID";
    case OpKind::Write:
    case OpKind::Copyout: return "PID VPN VALUE [WORD]";
    case OpKind::Read: return "PID VPN [WORD]";
    case OpKind::Mmap: return "PID VPN COUNT KIND";
    case OpKind::Munmap: return "PID VPN COUNT";
    case OpKind::Swapout: return "PID VPN";
    case OpKind::Pin: return "PID VPN [ro|rw]";
    case OpKind::Unpin: return "ID [WORD]";
  }
  return "";
}

// How many words of the usage are required and how many may follow.
std::pair<std::size_t, std::size_t> arity(OpKind kind) {
  switch (kind) {
    case OpKind::Fork:
    case OpKind::Exit:
    case OpKind::Exec:
    case OpKind::Vfork: return {1, 0};
    case OpKind::Write:
    case OpKind::Copyout: return {3, 1};
    case OpKind::Read: return {2, 1};
    case OpKind::Mmap: return {4, 0};
    case OpKind::Munmap: return {3, 0};
    case OpKind::Swapout: return {2, 0};
    case OpKind::Pin: return {2, 1};
    case OpKind::Unpin: return {1, 1};
  }
  return {0, 0};
}

struct BadWord {
  std::string what;
};

std::uint32_t number(std::string_view word, std::string_view what) {
  std::uint64_t value = 0;
  auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
  if (ec == std::errc::result_out_of_range || (ec == std::errc{} && value > UINT32_MAX))
    throw BadWord{fmt::format("{} '{}' is out of range", what, word)};
  if (ec != std::errc{} || ptr != word.data() + word.size())
    throw BadWord{fmt::format("{} '{}' is not a non-negative integer", what, word)};
  return static_cast<std::uint32_t>(value);
}

Op parse_args(OpKind kind, std::span<const std::string_view> a) {
  Op op{kind};
  auto optional_word = [&](std::size_t i) { return a.size() > i ? number(a[i], "word") : 0; };
  switch (kind) {
    case OpKind::Fork:
    case OpKind::Exit:
    case OpKind::Exec:
    case OpKind::Vfork: op.pid = number(a[0], "pid"); break;
    case OpKind::Write:
    case OpKind::Copyout:
      op.pid = number(a[0], "pid");
      op.vpn = number(a[1], "vpn");
      op.value = number(a[2], "value");
      op.word = optional_word(3);
      break;
    case OpKind::Read:
      op.pid = number(a[0], "pid");
      op.vpn = number(a[1], "vpn");
      op.word = optional_word(2);
      break;
    case OpKind::Mmap: {
      op.pid = number(a[0], "pid");
      op.vpn = number(a[1], "vpn");
      op.count = number(a[2], "count");
      auto map = map_kind_from_name(a[3]);
      if (!map || *map == MapKind::None)
        throw BadWord{fmt::format("mapping kind '{}' is not one of private-anon, shared-anon, "
                                  "text, private-file, shared-file",
                                  a[3])};
      op.map = *map;
      break;
    }
    case OpKind::Munmap:
      op.pid = number(a[0], "pid");
      op.vpn = number(a[1], "vpn");
      op.count = number(a[2], "count");
      break;
    case OpKind::Swapout:
      op.pid = number(a[0], "pid");
      op.vpn = number(a[1], "vpn");
      break;
    case OpKind::Pin:
      op.pid = number(a[0], "pid");
      op.vpn = number(a[1], "vpn");
      if (a.size() > 2) {
        if (a[2] != "ro" && a[2] != "rw")
          throw BadWord{fmt::format("pin mode '{}' is not ro or rw", a[2])};
        op.rw = a[2] == "rw";
      }
      break;
    case OpKind::Unpin:
      op.pin = number(a[0], "pin id");
      op.word = optional_word(1);
      break;
  }
  return op;
}

}  // namespace

std::string_view op_kind_name(OpKind kind) {
  for (auto [k, name] : kNames)
    if (k == kind) return name;
  return "?";
}

std::optional<OpKind> op_kind_from_name(std::string_view name) {
  for (auto [k, known] : kNames)
    if (known == name) return k;
  return std::nullopt;
}

std::optional<OpSet> op_set_from_names(std::string_view names) {
  if (names == "all") return kAllOps;
  OpSet set = 0;
  while (!names.empty()) {
    std::size_t comma = names.find(',');
    std::string_view name = names.substr(0, comma);
    auto kind = op_kind_from_name(name);
    if (!kind) return std::nullopt;
    set |= op_mask(*kind);
    names = comma == std::string_view::npos ? std::string_view{} : names.substr(comma + 1);
  }
  return set == 0 ? std::nullopt : std::optional<OpSet>(set);
}

std::string op_set_names(OpSet set) {
  if (set == kAllOps) return "all";
  std::string text;
  for (OpKind kind : kAllOpKinds)
    if (op_in(set, kind)) text += fmt::format("{}{}", text.empty() ? "" : ",", op_kind_name(kind));
  return text;
}

bool op_touches_page(OpKind kind) {
  return kind == OpKind::Write || kind == OpKind::Read || kind == OpKind::Swapout ||
         kind == OpKind::Pin || kind == OpKind::Copyout;
}

bool op_takes_word(OpKind kind) {
  return kind == OpKind::Write || kind == OpKind::Read || kind == OpKind::Unpin ||
         kind == OpKind::Copyout;
}

std::string to_string(const Op& op) {
  std::string word = op.word != 0 ? fmt::format(" {}", op.word) : "";
  std::string_view name = op_kind_name(op.kind);
  switch (op.kind) {
    case OpKind::Write:
    case OpKind::Copyout: return fmt::format("{} {} {} {}{}", name, op.pid, op.vpn, op.value, word);
    case OpKind::Read: return fmt::format("read {} {}{}", op.pid, op.vpn, word);
    case OpKind::Mmap:
      return fmt::format("mmap {} {} {} {}", op.pid, op.vpn, op.count, map_kind_name(op.map));
    case OpKind::Munmap: return fmt::format("munmap {} {} {}", op.pid, op.vpn, op.count);
    case OpKind::Swapout: return fmt::format("swapout {} {}", op.pid, op.vpn);
    case OpKind::Pin: return fmt::format("pin {} {}{}", op.pid, op.vpn, op.rw ? " rw" : "");
    case OpKind::Unpin: return fmt::format("unpin {}{}", op.pin, word);
    case OpKind::Fork:
    case OpKind::Exit:
    case OpKind::Exec:
    case OpKind::Vfork: break;
  }
  return fmt::format("{} {}", name, op.pid);
}

std::variant<Op, std::string> parse_op(std::span<const std::string_view> words) {
  if (words.empty()) return std::string("empty op");
  auto kind = op_kind_from_name(words[0]);
  if (!kind) {
    std::string known;
    for (auto [k, name] : kNames) known += fmt::format("{}{}", known.empty() ? "" : ", ", name);
    return fmt::format("unknown op '{}' (expected one of {})", words[0], known);
  }
  auto [required, optional] = arity(*kind);
  std::size_t given = words.size() - 1;
  if (given < required || given > required + optional)
    return fmt::format("'{}' takes {} ({}), got {} argument{}", words[0],
                       optional ? fmt::format("{} or {} arguments", required, required + optional)
                                : fmt::format("{} argument{}", required, required == 1 ? "" : "s"),
                       usage(*kind), given, given == 1 ? "" : "s");
  try {
    return parse_args(*kind, words.subspan(1));
  } catch (const BadWord& bad) {
    return bad.what;
  }
}

}  // namespace cow
