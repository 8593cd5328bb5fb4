#include "spec/op.h"

#include <charconv>
#include <vector>

#include <fmt/format.h>

namespace cow {

namespace {

bool is_optional(OpArg arg) { return arg == OpArg::Word || arg == OpArg::Mode; }

std::string_view arg_usage(OpArg arg) {
  switch (arg) {
    case OpArg::Pid: return "PID";
    case OpArg::Vpn: return "VPN";
    case OpArg::Value: return "VALUE";
    case OpArg::Word: return "[WORD]";
    case OpArg::Count: return "COUNT";
    case OpArg::Map: return "KIND";
    case OpArg::Mode: return "[ro|rw]";
    case OpArg::PinId: return "ID";
    case OpArg::None: break;
  }
  return "";
}

// How many words of the usage are required and how many may follow.
std::pair<std::size_t, std::size_t> arity(OpKind kind) {
  std::size_t required = 0, optional = 0;
  for (OpArg arg : op_info(kind).args)
    if (arg != OpArg::None) ++(is_optional(arg) ? optional : required);
  return {required, optional};
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

void parse_arg(OpArg arg, std::string_view word, Op& op) {
  switch (arg) {
    case OpArg::Pid: op.pid = number(word, "pid"); break;
    case OpArg::Vpn: op.vpn = number(word, "vpn"); break;
    case OpArg::Value: op.value = number(word, "value"); break;
    case OpArg::Word: op.word = number(word, "word"); break;
    case OpArg::Count: op.count = number(word, "count"); break;
    case OpArg::PinId: op.pin = number(word, "pin id"); break;
    case OpArg::Map: {
      auto map = map_kind_from_name(word);
      if (!map || *map == MapKind::None)
        throw BadWord{
            fmt::format("mapping kind '{}' is not one of private-anon, shared-anon, "
                        "text, private-file, shared-file",
                        word)};
      op.map = *map;
      break;
    }
    case OpArg::Mode:
      if (word != "ro" && word != "rw")
        throw BadWord{fmt::format("pin mode '{}' is not ro or rw", word)};
      op.rw = word == "rw";
      break;
    case OpArg::None: break;
  }
}

// The word an argument prints as; empty for an optional one at its default.
std::string print_arg(OpArg arg, const Op& op) {
  switch (arg) {
    case OpArg::Pid: return fmt::format("{}", op.pid);
    case OpArg::Vpn: return fmt::format("{}", op.vpn);
    case OpArg::Value: return fmt::format("{}", op.value);
    case OpArg::Word: return op.word != 0 ? fmt::format("{}", op.word) : "";
    case OpArg::Count: return fmt::format("{}", op.count);
    case OpArg::PinId: return fmt::format("{}", op.pin);
    case OpArg::Map: return std::string(map_kind_name(op.map));
    case OpArg::Mode: return op.rw ? "rw" : "";
    case OpArg::None: break;
  }
  return "";
}

}  // namespace

std::optional<OpKind> op_kind_from_name(std::string_view name) {
  for (const OpInfo& info : kOps)
    if (info.name == name) return info.kind;
  return std::nullopt;
}

std::string op_usage(OpKind kind) {
  std::string text;
  for (OpArg arg : op_info(kind).args)
    if (arg != OpArg::None) text += fmt::format("{}{}", text.empty() ? "" : " ", arg_usage(arg));
  return text;
}

std::string op_names() {
  std::string text;
  for (const OpInfo& info : kOps) text += fmt::format("{}{}", text.empty() ? "" : ", ", info.name);
  return text;
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
  for_each_op(set, [&](OpKind kind) {
    text += fmt::format("{}{}", text.empty() ? "" : ",", op_kind_name(kind));
  });
  return text;
}

std::string to_string(const Op& op) {
  std::string text(op_kind_name(op.kind));
  for (OpArg arg : op_info(op.kind).args) {
    std::string word = print_arg(arg, op);
    if (!word.empty()) text += " " + word;
  }
  return text;
}

std::variant<Op, std::string> parse_op(std::span<const std::string_view> words) {
  if (words.empty()) return std::string("empty op");
  auto kind = op_kind_from_name(words[0]);
  if (!kind) return fmt::format("unknown op '{}' (expected one of {})", words[0], op_names());
  auto [required, optional] = arity(*kind);
  std::size_t given = words.size() - 1;
  if (given < required || given > required + optional)
    return fmt::format("'{}' takes {} ({}), got {} argument{}", words[0],
                       optional ? fmt::format("{} or {} arguments", required, required + optional)
                                : fmt::format("{} argument{}", required, required == 1 ? "" : "s"),
                       op_usage(*kind), given, given == 1 ? "" : "s");
  Op op{*kind};
  try {
    for (std::size_t i = 0; i < given; ++i) parse_arg(op_info(*kind).args[i], words[i + 1], op);
  } catch (const BadWord& bad) {
    return bad.what;
  }
  return op;
}

}  // namespace cow
