// Writing .cow files: their text, where they go and under which name.
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <map>
#include <system_error>

#include "checker/cow_file.h"

namespace cow {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPluginPrefix = "plugin:";
constexpr std::string_view kXv6Prefix = "xv6:";

bool needs_quotes(std::string_view word) {
  if (word.empty()) return true;
  return std::any_of(word.begin(), word.end(), [](char c) {
    return c == ' ' || c == '\t' || c == '#' || c == '"' || c == '\\';
  });
}

bool is_control(char c) {
  auto u = static_cast<unsigned char>(c);
  return (u < 0x20 && c != '\t') || u == 0x7f;
}

// The `impl` argument as the reader splits it: one word, or quoted with \" and \\.
// A control character cannot be written on one line at all; the commands
// refuse such names before running, and here it becomes '?'.
std::string impl_word(std::string_view impl) {
  std::string plain;
  for (char c : impl) plain += is_control(c) ? '?' : c;
  if (!needs_quotes(plain)) return plain;
  std::string quoted = "\"";
  for (char c : plain) {
    if (c == '"' || c == '\\') quoted += '\\';
    quoted += c;
  }
  return quoted + "\"";
}

// A comment stays a comment: a newline or a terminal escape from a message
// (a plug-in's, say) must not start a line of its own or reach a terminal raw.
std::string comment_text(std::string_view text) {
  std::string out;
  for (char c : text)
    out +=
        is_control(c) ? fmt::format("\\x{:02x}", static_cast<unsigned char>(c)) : std::string(1, c);
  return out;
}

}  // namespace

std::string format_cow(const CowFile& f) {
  std::string text = fmt::format("cowcheck {}\n", kCowFileVersion);
  for (const std::string& note : f.notes) text += fmt::format("# {}\n", comment_text(note));
  text += fmt::format("impl {}\n", impl_word(f.impl));
  // Policies are written only when not the default, so older files stay as they were.
  std::string policies;
  if (f.config.policy != Config{}.policy)
    policies += fmt::format(" policy={}", policy_name(f.config.policy));
  if (f.config.oom != Config{}.oom) policies += fmt::format(" oom={}", oom_name(f.config.oom));
  // Replay must judge a copy-for-reuse as the run that wrote the file did.
  if (f.config.reuse != Config{}.reuse)
    policies += fmt::format(" reuse={}", reuse_rule_name(f.config.reuse));
  if (f.config.paging != Config{}.paging)
    policies += fmt::format(" paging={}", paging_name(f.config.paging));
  text += fmt::format("config pages={} frames={} procs={} words={}{}\n", f.config.pages,
                      f.config.frames, f.config.procs, f.config.words, policies);
  text += fmt::format("invariant {}\n",
                      f.invariant ? std::string(invariant_name(*f.invariant)) : "none");
  for (std::size_t i = 0; i < f.ops.size(); ++i) {
    std::string op = to_string(f.ops[i]);
    bool commented = i < f.op_comments.size() && !f.op_comments[i].empty();
    text += commented ? fmt::format("{:<16}# {}\n", op, comment_text(f.op_comments[i])) : op + "\n";
  }
  for (std::size_t lane = 0; lane < f.lanes.size(); ++lane)
    for (std::size_t i = 0; i < f.lanes[lane].size(); ++i) {
      std::string op = fmt::format("lane {} {}", lane, to_string(f.lanes[lane][i]));
      bool commented = lane < f.lane_comments.size() && i < f.lane_comments[lane].size() &&
                       !f.lane_comments[lane][i].empty();
      text += commented ? fmt::format("{:<24}# {}\n", op, comment_text(f.lane_comments[lane][i]))
                        : op + "\n";
    }
  if (!f.schedule.empty()) {
    text += "schedule";
    for (std::uint32_t lane : f.schedule) text += fmt::format(" {}", lane);
    text += "\n";
  }
  return text;
}

namespace {

std::string errno_text(int error) {
  return std::error_code(error, std::generic_category()).message();
}

// A temporary file in the target's folder that is removed unless kept.
class TemporaryFile {
 public:
  explicit TemporaryFile(const fs::path& target) {
    // Hidden and random: nobody can guess it, and a listing of *.cow never shows it.
    std::string pattern =
        (target.parent_path() / fmt::format(".{}.XXXXXX", target.filename().string())).string();
    // mkostemp opens with O_CREAT|O_EXCL: it never follows a symlink, planted or not.
    fd_ = ::mkostemp(pattern.data(), O_CLOEXEC);
    if (fd_ < 0)
      throw std::runtime_error(fmt::format("{}: cannot create a temporary file: {}",
                                           target.parent_path().string(), errno_text(errno)));
    path_ = pattern;
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!kept_) ::unlink(path_.c_str());
  }

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }
  // Closes the file; false (errno set) if the data could not be written.
  bool close() {
    int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }
  void keep() { kept_ = true; }

 private:
  int fd_ = -1;
  std::string path_;
  bool kept_ = false;
};

bool write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// mkostemp creates 0600; a counterexample is as readable as any file the user makes.
mode_t file_mode() {
  mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

// The rename itself is durable only once the folder is synced; a folder
// that cannot be opened for that still holds the file.
void sync_folder(const fs::path& folder) {
  int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void write_cow_atomic(const fs::path& path, const CowFile& file) {
  // A file size limit must fail the write (EFBIG), not kill the process and the finding with it.
  std::signal(SIGXFSZ, SIG_IGN);
  fs::path target = path.has_parent_path() ? path : fs::path(".") / path;
  fs::create_directories(target.parent_path());
  TemporaryFile tmp(target);
  if (!write_all(tmp.fd(), format_cow(file)) || ::fchmod(tmp.fd(), file_mode()) != 0 ||
      ::fsync(tmp.fd()) != 0 || !tmp.close())
    throw std::runtime_error(fmt::format("{}: cannot write: {}", path.string(), errno_text(errno)));
  // rename replaces whatever is at `path`, a symlink included, and never follows it.
  if (::rename(tmp.path().c_str(), target.c_str()) != 0)
    throw std::runtime_error(
        fmt::format("{}: cannot rename into place: {}", path.string(), errno_text(errno)));
  tmp.keep();
  sync_folder(target.parent_path());
}

namespace {

// `path` as seen from `folder`, with forward slashes. Both are resolved
// through the symlinks that exist, as the kernel will resolve folder/result.
std::string relative_to(const fs::path& path, const fs::path& folder) {
  auto resolved = [](const fs::path& p) {
    std::error_code ec;
    fs::path absolute = fs::absolute(p, ec).lexically_normal();
    fs::path real = fs::weakly_canonical(absolute, ec);
    return ec ? absolute : real;
  };
  return resolved(path).lexically_relative(resolved(folder)).generic_string();
}

bool continues_path(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ||
         c == '/' || c == '+' || c == '~';
}

// Whether a path that stops at `at` is a whole word ("lib.so." ends a sentence).
bool ends_token(std::string_view text, std::size_t at) {
  if (at == text.size() || !continues_path(text[at])) return true;
  return text[at] == '.' && (at + 1 == text.size() || !continues_path(text[at + 1]));
}

bool starts_token(std::string_view text, std::size_t at) {
  if (at == 0) return true;
  char c = text[at - 1];
  return c == ' ' || c == '\t' || c == '\'' || c == '"' || c == '(' || c == '[' || c == '=' ||
         c == ':' || c == ',';
}

// Rewrites, in one pass, each of `known` (longest first) and every other
// absolute path that starts a word, relative to `folder`.
std::string rewrite_paths(std::string_view text,
                          const std::vector<std::pair<std::string, std::string>>& known,
                          const fs::path& folder) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!starts_token(text, i)) {
      out += text[i++];
      continue;
    }
    bool replaced = false;
    for (const auto& [from, to] : known) {
      if (from.empty() || text.substr(i, from.size()) != from) continue;
      std::size_t end = i + from.size();
      if (!ends_token(text, end)) continue;
      out += to;
      i = end;
      replaced = true;
      break;
    }
    if (replaced) continue;
    if (text[i] == '/' && i + 1 < text.size() && continues_path(text[i + 1])) {
      std::size_t end = i;
      while (end < text.size() && continues_path(text[end])) ++end;
      // "... /x/lib.so: died" or "... /x/lib.so." end the path before the punctuation.
      while (end > i + 1 && text[end - 1] == '.') --end;
      out += relative_to(std::string(text.substr(i, end - i)), folder);
      i = end;
      continue;
    }
    out += text[i++];
  }
  return out;
}

}  // namespace

CowFile placed_in(CowFile file, const fs::path& folder) {
  std::vector<std::pair<std::string, std::string>> known;
  std::string_view prefix = impl_path_prefix(file.impl);
  if (!prefix.empty()) {
    std::string kind(prefix);
    fs::path typed = file.impl.substr(prefix.size());
    std::string relative = relative_to(typed, folder);
    std::error_code ec;
    fs::path absolute = fs::absolute(typed, ec).lexically_normal();
    known = {{typed.string(), relative},
             {absolute.string(), relative},
             {fs::weakly_canonical(absolute, ec).string(), relative}};
    std::sort(known.begin(), known.end(),
              [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
    file.impl = kind + relative;
  }
  for (std::string& note : file.notes) note = rewrite_paths(note, known, folder);
  for (std::string& comment : file.op_comments) comment = rewrite_paths(comment, known, folder);
  return file;
}

namespace {

// A file name made of the characters every file system and shell takes as they are.
std::string file_word(std::string_view text) {
  std::string word;
  for (char c : text)
    word +=
        std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-' ? c : '-';
  return word;
}

std::string without_extension(const std::string& name) { return name.substr(0, name.size() - 4); }

}  // namespace

std::string cow_file_name(std::string_view impl) {
  // A plug-in is named by its library, not by where it happens to be built;
  // an xv6 lab by its folder.
  if (impl.starts_with(kPluginPrefix))
    return "plugin-" + file_word(fs::path(impl.substr(kPluginPrefix.size())).stem().string()) +
           ".cow";
  if (impl.starts_with(kXv6Prefix)) {
    fs::path lab = fs::absolute(fs::path(impl.substr(kXv6Prefix.size()))).lexically_normal();
    if (lab.filename().empty()) lab = lab.parent_path();
    return "xv6-" + file_word(lab.filename().string()) + ".cow";
  }
  std::string name;
  for (char c : impl) name += (c == ':' || c == '/' || c == ' ') ? '-' : c;
  return name + ".cow";
}

std::string cow_file_name(std::string_view impl, const Config& config) {
  std::string name = without_extension(cow_file_name(impl));
  if (config.policy != Config{}.policy) name += fmt::format("-{}", policy_name(config.policy));
  if (config.oom != Config{}.oom) name += fmt::format("-oom-{}", oom_name(config.oom));
  if (config.reuse != Config{}.reuse)
    name += fmt::format("-reuse-{}", reuse_rule_name(config.reuse));
  if (config.paging != Config{}.paging)
    name += fmt::format("-paging-{}", paging_name(config.paging));
  return name + ".cow";
}

std::vector<std::string> cow_file_names(const std::vector<std::string>& impls,
                                        const Config& config) {
  std::vector<std::string> names;
  for (const std::string& impl : impls) names.push_back(cow_file_name(impl, config));
  // The folders above each plug-in's library, nearest first.
  std::vector<std::vector<std::string>> folders(impls.size());
  for (std::size_t i = 0; i < impls.size(); ++i) {
    std::string_view prefix = impl_path_prefix(impls[i]);
    if (prefix.empty()) continue;
    std::error_code ec;
    fs::path parent =
        fs::absolute(fs::path(impls[i].substr(prefix.size())), ec).lexically_normal().parent_path();
    for (const fs::path& part : parent.relative_path())
      folders[i].insert(folders[i].begin(), part.string());
  }
  std::map<std::string, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < names.size(); ++i) groups[names[i]].push_back(i);
  for (const auto& [name, members] : groups) {
    if (members.size() < 2) continue;
    std::size_t deepest = 0;
    for (std::size_t m : members) deepest = std::max(deepest, folders[m].size());
    // As few folders as tell them apart best, written outermost first:
    // "plugin-libmine-a-lib.cow". The same library twice gets none.
    std::vector<std::string> best(members.size(), name);
    std::size_t best_distinct = 1;
    for (std::size_t depth = 1; depth <= deepest; ++depth) {
      std::vector<std::string> suffixed;
      for (std::size_t m : members) {
        std::string suffix;
        for (std::size_t d = std::min(depth, folders[m].size()); d-- > 0;)
          suffix += fmt::format("-{}", file_word(folders[m][d]));
        suffixed.push_back(without_extension(name) + suffix + ".cow");
      }
      std::vector<std::string> sorted = suffixed;
      std::sort(sorted.begin(), sorted.end());
      auto distinct =
          static_cast<std::size_t>(std::unique(sorted.begin(), sorted.end()) - sorted.begin());
      if (distinct > best_distinct) {
        best = suffixed;
        best_distinct = distinct;
      }
      if (distinct == members.size()) break;
    }
    for (std::size_t k = 0; k < members.size(); ++k) names[members[k]] = best[k];
  }
  // The same implementation twice, or a suffixed name that met another: by place.
  for (std::size_t i = 0; i < names.size(); ++i) {
    int copy = 1;
    std::string base = without_extension(names[i]);
    while (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
           names.begin() + static_cast<std::ptrdiff_t>(i))
      names[i] = fmt::format("{}-{}.cow", base, ++copy);
  }
  return names;
}

}  // namespace cow
