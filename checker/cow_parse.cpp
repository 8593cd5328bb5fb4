// Reading .cow files: every malformed input is a CowParseError naming the
// file and line, never a crash.
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "checker/cow_file.h"

namespace cow {

namespace {

class Parser {
 public:
  Parser(std::string_view text, std::string_view filename) : text_(text), filename_(filename) {}

  CowFile parse() {
    bool have_header = false, have_impl = false, have_config = false, have_invariant = false;
    std::size_t pos = 0;
    while (pos <= text_.size()) {
      std::size_t end = text_.find('\n', pos);
      if (end == std::string_view::npos) end = text_.size();
      ++line_;
      std::string_view raw = text_.substr(pos, end - pos);
      pos = end + 1;
      auto [body, comment] = split_comment(raw);
      std::vector<std::string_view> words = split_words(body);
      if (words.empty()) {
        // Comment lines of the preamble are kept, so a file round-trips.
        if (have_header && file_.ops.empty() && !comment.empty()) file_.notes.emplace_back(comment);
        continue;
      }
      if (!have_header) {
        parse_header(words);
        have_header = true;
        continue;
      }
      std::string_view head = words[0];
      if (head == "impl") {
        once(have_impl, "impl");
        want_args(words, 1, "impl NAME");
        file_.impl = std::string(words[1]);
        file_.impl_line = line_;
      } else if (head == "config") {
        once(have_config, "config");
        parse_config(words);
      } else if (head == "invariant") {
        once(have_invariant, "invariant");
        want_args(words, 1, "invariant ID");
        parse_invariant(words[1]);
      } else if (auto kind = op_kind_from_name(head)) {
        file_.ops.push_back(parse_op(*kind, words));
        file_.op_comments.emplace_back(comment);
      } else {
        fail(fmt::format("unknown op or directive '{}' (expected fork, write, read, exit, impl, "
                         "config or invariant)",
                         head));
      }
    }
    if (!have_header) fail("empty file: expected the header 'cowcheck 1'");
    if (!have_impl) fail("missing 'impl NAME' line");
    return file_;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw CowParseError(fmt::format("{}:{}: {}", filename_, line_, what));
  }

  static std::pair<std::string_view, std::string_view> split_comment(std::string_view raw) {
    std::size_t hash = raw.find('#');
    if (hash == std::string_view::npos) return {raw, {}};
    std::string_view comment = raw.substr(hash + 1);
    while (!comment.empty() && comment.front() == ' ') comment.remove_prefix(1);
    while (!comment.empty() && (comment.back() == ' ' || comment.back() == '\r'))
      comment.remove_suffix(1);
    return {raw.substr(0, hash), comment};
  }

  static std::vector<std::string_view> split_words(std::string_view body) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (i < body.size()) {
      while (i < body.size() && space(body[i])) ++i;
      std::size_t start = i;
      while (i < body.size() && !space(body[i])) ++i;
      if (i > start) words.push_back(body.substr(start, i - start));
    }
    return words;
  }

  void once(bool& seen, std::string_view what) {
    if (seen) fail(fmt::format("'{}' given twice", what));
    if (!file_.ops.empty()) fail(fmt::format("'{}' must come before the first op", what));
    seen = true;
  }

  void want_args(const std::vector<std::string_view>& words, std::size_t n,
                 std::string_view usage) {
    if (words.size() != n + 1)
      fail(fmt::format("'{}' takes {} argument{} ({}), got {}", words[0], n, n == 1 ? "" : "s",
                       usage, words.size() - 1));
  }

  std::uint32_t number(std::string_view word, std::string_view what) {
    std::uint64_t value = 0;
    auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (ec == std::errc::result_out_of_range || (ec == std::errc{} && value > UINT32_MAX))
      fail(fmt::format("{} '{}' is out of range", what, word));
    if (ec != std::errc{} || ptr != word.data() + word.size())
      fail(fmt::format("{} '{}' is not a non-negative integer", what, word));
    return static_cast<std::uint32_t>(value);
  }

  void parse_header(const std::vector<std::string_view>& words) {
    if (words[0] != "cowcheck" || words.size() != 2)
      fail("expected the header 'cowcheck 1' as the first line");
    std::uint32_t version = number(words[1], "version");
    if (version != kCowFileVersion)
      fail(fmt::format("unsupported .cow version {} (this cowcheck reads version {})", version,
                       kCowFileVersion));
  }

  void parse_config(const std::vector<std::string_view>& words) {
    for (std::size_t i = 1; i < words.size(); ++i) {
      std::string_view word = words[i];
      std::size_t eq = word.find('=');
      if (eq == std::string_view::npos) fail(fmt::format("config item '{}' is not KEY=VALUE", word));
      std::string_view key = word.substr(0, eq);
      std::uint32_t value = number(word.substr(eq + 1), key);
      if (key == "pages") file_.config.pages = value;
      else if (key == "frames") file_.config.frames = value;
      else if (key == "procs") file_.config.procs = value;
      else if (key == "words") file_.config.words = value;
      else fail(fmt::format("unknown config key '{}' (expected pages, frames, procs or words)", key));
    }
    if (const char* error = config_error(file_.config); *error)
      fail(fmt::format("bad config: {}", error));
  }

  void parse_invariant(std::string_view name) {
    if (name == "none") return;
    auto id = invariant_from_name(name);
    if (!id)
      fail(fmt::format("unknown invariant '{}' (expected ISO, WP, REUSE, RC, DIFF, CRASH, HANG, OOM, "
                       "EXIT or none)",
                       name));
    file_.invariant = id;
  }

  Op parse_op(OpKind kind, const std::vector<std::string_view>& words) {
    static constexpr std::string_view kUsage[] = {"pid", "pid vpn value [word]", "pid vpn [word]",
                                                  "pid"};
    std::size_t arity = static_cast<std::size_t>(op_arity(kind));
    std::size_t given = words.size() - 1;
    if (given != arity && !(op_takes_word(kind) && given == arity + 1))
      fail(fmt::format("'{}' takes {} arguments ({}), got {}", words[0], arity,
                       kUsage[static_cast<int>(kind)], given));
    Op op{kind, number(words[1], "pid"), 0, 0, 0};
    if (kind == OpKind::Write || kind == OpKind::Read) op.vpn = number(words[2], "vpn");
    if (kind == OpKind::Write) op.value = number(words[3], "value");
    if (given == arity + 1) op.word = number(words.back(), "word");
    return op;
  }

  std::string_view text_;
  std::string_view filename_;
  int line_ = 0;
  CowFile file_;
};

}  // namespace

CowFile parse_cow(std::string_view text, std::string_view filename) {
  return Parser(text, filename).parse();
}

CowFile read_cow(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw CowParseError(fmt::format("{}:0: cannot open the file", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_cow(text.str(), path.string());
}

}  // namespace cow
