#include "app/cli/finding_report.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <utility>

#include "app/cli/commands.h"

namespace cow::cli {

namespace {

// Straight to file descriptor 2, ignoring failure: this runs when a write has
// already failed, and must not throw (from a catch block) if stderr fails too.
void print_on_stderr(std::string_view text) noexcept {
  // What was printed so far comes first, as it would on a terminal.
  std::fflush(stdout);
  std::fflush(stderr);
  while (!text.empty()) {
    ssize_t n = ::write(STDERR_FILENO, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string step_text(const Finding& f, std::size_t i) {
  bool last = i + 1 == f.ops.size();
  if (last && is_stop(f.violation.id)) return std::string(invariant_name(f.violation.id));
  return i < f.outcomes.size() ? to_string(f.outcomes[i]) : "";
}

CowFile finding_file(const std::string& impl, const Config& config, const Finding& f,
                     std::vector<std::string> notes) {
  CowFile file;
  file.impl = impl;
  file.config = config;
  file.invariant = f.violation.id;
  file.ops = f.ops;
  file.notes = std::move(notes);
  for (std::size_t i = 0; i < f.ops.size(); ++i) file.op_comments.push_back(step_text(f, i));
  return file;
}

std::vector<std::string> outcome_notes(const Finding& f, std::string_view found) {
  std::vector<std::string> notes;
  notes.push_back(fmt::format("{} at op {}: {}", found, f.ops.size(), to_string(f.violation)));
  notes.insert(notes.end(), f.notes.begin(), f.notes.end());
  if (!f.reproduced)
    notes.push_back(
        "warning: this sequence did not fail again on a fresh run (the implementation is not "
        "deterministic, or, for a plug-in, state it kept across destroy() and create() in a "
        "reused worker caused the failure)");
  return notes;
}

std::string save_finding(const CowFile& file, const std::filesystem::path& out_dir,
                         const std::string& name) noexcept {
  std::string why;
  try {
    std::filesystem::path path = out_dir / name;
    write_cow_atomic(path, placed_in(file, out_dir));
    return path.string();
  } catch (const std::exception& e) {
    why = e.what();
  } catch (...) {
    why = "unknown error";
  }
  try {
    // Placed in the working folder: saved there from the terminal, it replays as it is.
    print_on_stderr("cowcheck: cannot write the counterexample: " + why +
                    "\ncowcheck: here it is whole (paths relative to the working folder):\n" +
                    format_cow(placed_in(file, ".")));
  } catch (...) {
    print_on_stderr("cowcheck: cannot write the counterexample, nor print it\n");
  }
  return kNotWritten;
}

void require_writable_name(const std::string& impl) {
  std::string shown;
  bool control = false;
  for (char c : impl) {
    bool bad = static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
    control = control || bad;
    shown += bad ? fmt::format("\\x{:02x}", static_cast<unsigned char>(c)) : std::string(1, c);
  }
  if (control)
    throw UsageError(fmt::format(
        "implementation name '{}' holds a control character: a .cow file cannot name it", shown));
}

std::string shell_word(const std::string& word) {
  bool plain = !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           std::string_view("-_.,:/=+@%").find(c) != std::string_view::npos;
  });
  if (plain) return word;
  std::string quoted = "'";
  for (char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}

}  // namespace cow::cli
