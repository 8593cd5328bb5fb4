// Reading .cow files: every malformed input is a CowParseError naming the
// file and line, never a crash.
#include <charconv>
#include <fstream>
#include <sstream>
#include <variant>

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
      } else if (op_kind_from_name(head)) {
        file_.ops.push_back(parse_one_op(words));
        file_.op_comments.emplace_back(comment);
      } else {
        fail(fmt::format("unknown op or directive '{}' (expected an op such as fork, write, read, "
                         "exit, exec, vfork, mmap, munmap, swapout, pin, unpin, copyout, or impl, "
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
      std::string_view text = word.substr(eq + 1);
      if (key == "policy") {
        auto policy = policy_from_name(text);
        if (!policy) fail(fmt::format("policy '{}' is not mapcount, pagecount or exclusive", text));
        file_.config.policy = *policy;
        continue;
      }
      if (key == "oom") {
        auto oom = oom_from_name(text);
        if (!oom) fail(fmt::format("oom '{}' is not error or kill", text));
        file_.config.oom = *oom;
        continue;
      }
      std::uint32_t value = number(text, key);
      if (key == "pages") file_.config.pages = value;
      else if (key == "frames") file_.config.frames = value;
      else if (key == "procs") file_.config.procs = value;
      else if (key == "words") file_.config.words = value;
      else
        fail(fmt::format(
            "unknown config key '{}' (expected pages, frames, procs, words, policy or oom)", key));
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

  Op parse_one_op(const std::vector<std::string_view>& words) {
    auto op = cow::parse_op(words);
    if (auto* error = std::get_if<std::string>(&op)) fail(*error);
    return std::get<Op>(op);
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
