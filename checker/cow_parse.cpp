// Reading .cow files: every malformed input is a CowParseError naming the
// file and line, never a crash, a hang or unbounded memory.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <set>
#include <variant>

#include "checker/cow_file.h"

namespace cow {

namespace {

bool is_control(unsigned char c) { return (c < 0x20 && c != '\t' && c != '\r') || c == 0x7f; }

// The length of the UTF-8 sequence at the start of `text` that encodes a
// printable code point (not a C1 control, which some terminals obey), or 0.
std::size_t printable_utf8(std::string_view text) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
  unsigned char lead = byte(0);
  std::size_t length = lead >= 0xf0 && lead <= 0xf4 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc2 ? 2 : 0;
  if (lead >= 0xf5 || length == 0 || text.size() < length) return 0;
  std::uint32_t code = lead & (0x7f >> length);
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    code = code << 6 | (byte(i) & 0x3f);
  }
  bool overlong = (length == 3 && code < 0x800) || (length == 4 && code < 0x10000);
  bool invalid = code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff);
  bool c1 = code >= 0x80 && code < 0xa0;
  return overlong || invalid || c1 ? 0 : length;
}

class Parser {
 public:
  Parser(std::string_view text, std::string_view filename) : text_(text), filename_(filename) {}

  CowFile parse() {
    if (text_.size() > kMaxCowFileBytes)
      throw CowParseError(printable(fmt::format(
          "{}: the file is larger than {} bytes: not a .cow file", filename_, kMaxCowFileBytes)));
    bool have_header = false, have_impl = false, have_config = false, have_invariant = false;
    std::size_t pos = 0;
    while (pos <= text_.size()) {
      std::size_t end = text_.find('\n', pos);
      if (end == std::string_view::npos) end = text_.size();
      ++line_;
      std::string_view raw = text_.substr(pos, end - pos);
      pos = end + 1;
      if (raw.size() > kMaxCowLineBytes)
        fail(fmt::format("line is longer than {} bytes", kMaxCowLineBytes));
      for (char c : raw)
        if (is_control(static_cast<unsigned char>(c)))
          fail(fmt::format("control byte {} in the line (a .cow file is text)",
                           printable(std::string_view(&c, 1))));
      auto [words, comment] = split_line(raw);
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
      const std::string& head = words[0];
      if (head == "impl") {
        once(have_impl, "impl");
        want_args(words, 1, "impl NAME");
        if (words[1].empty()) fail("'impl' names no implementation");
        file_.impl = words[1];
        file_.impl_line = line_;
      } else if (head == "config") {
        once(have_config, "config");
        parse_config(words);
      } else if (head == "invariant") {
        once(have_invariant, "invariant");
        want_args(words, 1, "invariant ID");
        parse_invariant(words[1]);
      } else if (op_kind_from_name(head)) {
        if (!file_.lanes.empty()) fail("an op outside the lanes after a 'lane' line");
        file_.ops.push_back(parse_one_op(words));
        file_.op_comments.emplace_back(comment);
      } else if (head == "lane") {
        parse_lane(words, comment);
      } else if (head == "schedule") {
        if (have_schedule) fail("'schedule' given twice");
        have_schedule = true;
        schedule_line_ = line_;
        parse_schedule(words);
      } else {
        fail(
            fmt::format("unknown op or directive '{}' (expected an op such as {}, or impl, config "
                        "or invariant)",
                        head, op_names()));
      }
    }
    if (!have_header) fail("empty file: expected the header 'cowcheck 1'");
    if (!have_impl) fail("missing 'impl NAME' line");
    if (have_schedule) {
      line_ = schedule_line_;  // the errors below are about that line
      if (file_.lanes.empty()) fail("a 'schedule' line, but no 'lane' lines");
      for (std::uint32_t lane : file_.schedule)
        if (lane >= file_.lanes.size())
          fail(fmt::format("the schedule names lane {}, but the file has {} lane{}", lane,
                           file_.lanes.size(), file_.lanes.size() == 1 ? "" : "s"));
    }
    return file_;
  }

 private:
  // Everything echoed from the file goes through printable(): the message
  // reaches a terminal.
  [[noreturn]] void fail(const std::string& what) const {
    throw CowParseError(printable(fmt::format("{}:{}: {}", filename_, line_, what)));
  }

  struct Line {
    std::vector<std::string> words;
    std::string_view comment;
  };

  // Words split at blanks; a word in double quotes may hold blanks and '#'
  // (\" and \\ escape); '#' outside quotes starts the comment.
  Line split_line(std::string_view raw) {
    Line line;
    auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    std::size_t i = 0;
    while (i < raw.size()) {
      while (i < raw.size() && blank(raw[i])) ++i;
      if (i == raw.size()) break;
      if (raw[i] == '#') {
        std::string_view comment = raw.substr(i + 1);
        while (!comment.empty() && comment.front() == ' ') comment.remove_prefix(1);
        while (!comment.empty() && blank(comment.back())) comment.remove_suffix(1);
        line.comment = comment;
        break;
      }
      std::string word;
      if (raw[i] == '"') {
        ++i;
        for (;;) {
          if (i == raw.size()) fail("a quoted word has no closing '\"'");
          char c = raw[i++];
          if (c == '"') break;
          if (c == '\\') {
            if (i == raw.size() || (raw[i] != '"' && raw[i] != '\\'))
              fail("in a quoted word, '\\' must be followed by '\"' or '\\'");
            c = raw[i++];
          }
          word += c;
        }
        if (i < raw.size() && !blank(raw[i]) && raw[i] != '#')
          fail("a quoted word must be followed by a blank or the end of the line");
      } else {
        while (i < raw.size() && !blank(raw[i]) && raw[i] != '#') word += raw[i++];
      }
      line.words.push_back(std::move(word));
    }
    return line;
  }

  void once(bool& seen, std::string_view what) {
    if (seen) fail(fmt::format("'{}' given twice", what));
    if (!file_.ops.empty()) fail(fmt::format("'{}' must come before the first op", what));
    seen = true;
  }

  void want_args(const std::vector<std::string>& words, std::size_t n, std::string_view usage) {
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

  void parse_header(const std::vector<std::string>& words) {
    if (words[0] != "cowcheck" || words.size() != 2)
      fail("expected the header 'cowcheck 1' as the first line");
    std::uint32_t version = number(words[1], "version");
    if (version != kCowFileVersion)
      fail(fmt::format("unsupported .cow version {} (this cowcheck reads version {})", version,
                       kCowFileVersion));
  }

  void parse_config(const std::vector<std::string>& words) {
    std::set<std::string_view> seen;
    for (std::size_t i = 1; i < words.size(); ++i) {
      std::string_view word = words[i];
      std::size_t eq = word.find('=');
      if (eq == std::string_view::npos)
        fail(fmt::format("config item '{}' is not KEY=VALUE", word));
      std::string_view key = word.substr(0, eq);
      std::string_view text = word.substr(eq + 1);
      static constexpr std::string_view kKeys[] = {"pages",  "frames", "procs", "words",
                                                   "policy", "oom",    "reuse", "paging"};
      if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys))
        fail(
            fmt::format("unknown config key '{}' (expected pages, frames, procs, words, policy, "
                        "oom, reuse or paging)",
                        key));
      if (!seen.insert(key).second) fail(fmt::format("config key '{}' given twice", key));
      if (key == "policy") {
        auto policy = policy_from_name(text);
        if (!policy) fail(fmt::format("policy '{}' is not mapcount, pagecount or exclusive", text));
        file_.config.policy = *policy;
      } else if (key == "oom") {
        auto oom = oom_from_name(text);
        if (!oom) fail(fmt::format("oom '{}' is not error or kill", text));
        file_.config.oom = *oom;
      } else if (key == "reuse") {
        auto reuse = reuse_rule_from_name(text);
        if (!reuse) fail(fmt::format("reuse '{}' is not required or optional", text));
        file_.config.reuse = *reuse;
      } else if (key == "paging") {
        auto paging = paging_from_name(text);
        if (!paging) fail(fmt::format("paging '{}' is not demand or eager", text));
        file_.config.paging = *paging;
      } else {
        std::uint32_t value = number(text, key);
        if (key == "pages")
          file_.config.pages = value;
        else if (key == "frames")
          file_.config.frames = value;
        else if (key == "procs")
          file_.config.procs = value;
        else
          file_.config.words = value;
      }
    }
    if (const char* error = config_error(file_.config); *error)
      fail(fmt::format("bad config: {}", error));
  }

  void parse_invariant(std::string_view name) {
    if (name == "none") return;
    auto id = invariant_from_name(name);
    if (!id)
      fail(fmt::format(
          "unknown invariant '{}' (expected ISO, WP, REUSE, RC, DIFF, CRASH, HANG, OOM, "
          "EXIT or none)",
          name));
    file_.invariant = id;
  }

  // "lane N OP ARGS...": the lanes are numbered from 0, each in its order.
  void parse_lane(const std::vector<std::string>& words, std::string_view comment) {
    if (words.size() < 3) fail("expected 'lane N OP ...'");
    std::uint32_t lane = number(words[1], "lane");
    if (lane >= kMaxLanes)
      fail(fmt::format("lane {} is past the last one, {}", lane, kMaxLanes - 1));
    if (lane > file_.lanes.size())
      fail(fmt::format("lane {} comes before lane {}", lane, lane - 1));
    if (lane == file_.lanes.size()) {
      file_.lanes.emplace_back();
      file_.lane_comments.emplace_back();
    }
    file_.lanes[lane].push_back(
        parse_one_op(std::vector<std::string>(words.begin() + 2, words.end())));
    file_.lane_comments[lane].emplace_back(comment);
  }

  void parse_schedule(const std::vector<std::string>& words) {
    for (std::size_t i = 1; i < words.size(); ++i)
      file_.schedule.push_back(number(words[i], "a schedule's lane"));
  }

  std::uint32_t number(const std::string& word, std::string_view what) {
    std::uint32_t value = 0;
    auto [ptr, ec] = std::from_chars(word.data(), word.data() + word.size(), value);
    if (ec != std::errc{} || ptr != word.data() + word.size())
      fail(fmt::format("{} '{}' is not a non-negative integer", what, word));
    return value;
  }

  Op parse_one_op(const std::vector<std::string>& words) {
    std::vector<std::string_view> views(words.begin(), words.end());
    auto op = cow::parse_op(views);
    if (auto* error = std::get_if<std::string>(&op)) fail(*error);
    return std::get<Op>(op);
  }

  std::string_view text_;
  std::string_view filename_;
  int line_ = 0;
  CowFile file_;
  bool have_schedule = false;
  int schedule_line_ = 0;
};

// Closes the descriptor on every path out of read_cow.
struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += text[i++];
    } else if (std::size_t n = c >= 0x80 ? printable_utf8(text.substr(i)) : 0; n > 0) {
      out.append(text.substr(i, n));
      i += n;
    } else {
      out += fmt::format("\\x{:02x}", c);
      ++i;
    }
  }
  return out;
}

CowFile parse_cow(std::string_view text, std::string_view filename) {
  return Parser(text, filename).parse();
}

CowFile read_cow(const std::filesystem::path& path) {
  auto fail = [&](const std::string& why) -> CowFile {
    throw CowParseError(printable(fmt::format("{}: {}", path.string(), why)));
  };
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
  Fd file{::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)};
  if (file.fd < 0) return fail(fmt::format("cannot open: {}", std::strerror(errno)));
  struct stat st {};
  if (::fstat(file.fd, &st) != 0) return fail(fmt::format("cannot stat: {}", std::strerror(errno)));
  if (!S_ISREG(st.st_mode)) return fail("not a regular file (a .cow file is a text file)");
  if (static_cast<std::uint64_t>(st.st_size) > kMaxCowFileBytes)
    return fail(fmt::format("{} bytes: larger than a .cow file may be ({} bytes)", st.st_size,
                            kMaxCowFileBytes));
  // Read one byte past what fstat said (and past the bound at most), so a
  // file that grew since is read whole or caught by the parser's bound.
  std::string text(static_cast<std::size_t>(st.st_size) + 1, '\0');
  std::size_t size = 0;
  for (;;) {
    if (size == text.size()) {
      if (text.size() > kMaxCowFileBytes) break;
      text.resize(std::min(2 * text.size(), kMaxCowFileBytes + 1));
    }
    ssize_t n = ::read(file.fd, text.data() + size, text.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail(fmt::format("cannot read: {}", std::strerror(errno)));
    if (n == 0) break;
    size += static_cast<std::size_t>(n);
  }
  text.resize(size);
  return parse_cow(text, path.string());
}

std::string_view impl_path_prefix(std::string_view impl) {
  for (std::string_view prefix : {"plugin:", "xv6:"})
    if (impl.starts_with(prefix)) return prefix;
  return {};
}

std::string resolve_file_impl(std::string_view impl, const std::filesystem::path& cow_path) {
  std::string_view prefix = impl_path_prefix(impl);
  if (prefix.empty()) return std::string(impl);
  std::filesystem::path target(impl.substr(prefix.size()));
  if (target.is_absolute()) return std::string(impl);
  std::filesystem::path folder = cow_path.parent_path();
  if (folder.empty()) folder = ".";
  std::filesystem::path resolved = (folder / target).lexically_normal();
  // dlopen() searches the library path for a name without a '/'.
  if (!resolved.has_parent_path()) resolved = std::filesystem::path(".") / resolved;
  return std::string(prefix) + resolved.string();
}

}  // namespace cow
