// Counterexample files (.cow): plain text, one op a line, '#' comments, a
// version header, the configuration, the implementation and the invariant.
//
//   cowcheck 1
//   # found by: cowcheck check --impl mutant:parent-left-writable --seed 1
//   impl mutant:parent-left-writable
//   config pages=4 frames=8 procs=8
//   invariant WP
//   fork 1          # ok child=2
//   write 1 0 1     # ok
//
// A race (cowcheck race) adds lanes of ops that run at once after the ops
// above, and the schedule that interleaves their steps (checker/race/):
//
//   lane 0 memwrite 1 0 1   # ok
//   lane 1 madvise 1 0 1    # ok
//   schedule 0 0 1 1 0
#pragma once

#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "spec/call.h"
#include "spec/invariants.h"
#include "spec/op.h"
#include "spec/types.h"

namespace cow {

inline constexpr int kCowFileVersion = 1;

struct CowFile {
  std::string impl = "model";
  Config config;
  std::optional<InvariantId> invariant;  // nullopt: "none", the ops must pass
  std::vector<Op> ops;
  std::vector<std::string> notes;        // comment lines under the header
  std::vector<std::string> op_comments;  // empty, or one per op (may be "")
  int impl_line = 0;                     // where `impl` was read, for messages
  // A race: lanes of ops run at once after `ops`, and the lane of each step.
  Lanes lanes;
  std::vector<std::vector<std::string>> lane_comments;  // as op_comments, per lane
  std::vector<std::uint32_t> schedule;
  bool is_race() const { return !lanes.empty(); }
};

// Lanes a .cow file may hold.
inline constexpr std::uint32_t kMaxLanes = 16;

// A file that cannot be read as a .cow file; what() is "file:line: reason".
class CowParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The file's text. An `impl` name holding a space, '#', '"' or '\\' is
// quoted (impl "plugin:a b/#x.so", with \" and \\ escapes); a control
// character in a comment is written as \xNN, so every line stays one line.
std::string format_cow(const CowFile& file);

// Bounds on what a reader takes in: a .cow file is one op a line, so a
// longer line or a bigger file is not one (and must not cost unbounded memory).
inline constexpr std::size_t kMaxCowLineBytes = 16 * 1024;
inline constexpr std::size_t kMaxCowFileBytes = 8 * 1024 * 1024;

// Parses `text`; `filename` only names the place in error messages. A word
// may be quoted ("plugin:a b/#x.so", with \" and \\ escapes), so a path with
// spaces or '#' is one word.
CowFile parse_cow(std::string_view text, std::string_view filename);

// Reads and parses a regular file of at most kMaxCowFileBytes; one that
// cannot be opened or read, or that is not a regular file (a FIFO, a
// device), is a CowParseError naming it and the reason.
CowFile read_cow(const std::filesystem::path& path);

// The file's `impl` as a name the registry can load: a relative
// `plugin:PATH` is relative to the folder of the .cow file itself, so a file
// replays from any working directory.
std::string resolve_file_impl(std::string_view impl, const std::filesystem::path& cow_path);

// The prefix of an implementation named by a path on this machine
// ("plugin:" for a library, "xv6:" for a lab's source tree), or empty.
// Such a name is written relative to the .cow file's folder and resolved
// from it, and replay runs it only when trusted.
std::string_view impl_path_prefix(std::string_view impl);

// `text` safe to print on a terminal: control bytes, escape sequences and
// bytes that are not UTF-8 become \xNN, so a file cannot drive the terminal
// or cut a message short with a NUL.
std::string printable(std::string_view text);

// Writes through a fresh temporary file created beside `path` (O_EXCL, so
// never through a planted symlink; an unpredictable name), synced, then
// renamed over `path`: a reader never sees half a counterexample, a crash
// never loses the previous one, and a symlink at `path` is replaced, not
// followed. On failure nothing is left behind and it throws.
void write_cow_atomic(const std::filesystem::path& path, const CowFile& file);

// The file as written into `folder`, so that it travels: a plug-in is named
// by its path relative to `folder` (forward slashes), and every path of this
// machine in a comment (absolute, or the plug-in's path as typed, relative
// to the working directory) is rewritten relative to `folder` too.
CowFile placed_in(CowFile file, const std::filesystem::path& folder);

// "mutant:parent-left-writable" -> "mutant-parent-left-writable.cow",
// "plugin:/some/where/libmine.so" -> "plugin-libmine.cow"
std::string cow_file_name(std::string_view impl);
// The same, naming a policy that is not the default, so findings under
// different policies do not overwrite each other: "model-mapcount.cow".
std::string cow_file_name(std::string_view impl, const Config& config);
// The names for findings about `impls` written into one folder by one run,
// in order and all different: plug-ins whose libraries share a name are told
// apart by the folders that hold them ("plugin:a/libmine.so" ->
// "plugin-libmine-a.cow"), the same one named twice by its place ("-2").
std::vector<std::string> cow_file_names(const std::vector<std::string>& impls,
                                        const Config& config);

}  // namespace cow
