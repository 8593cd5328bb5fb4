// How every command (check, diff, explore, prove) reports what it found:
// the finding's .cow file is built one way and written first (or, when it
// cannot be, printed whole on stderr); only then is the finding reported.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "checker/cow_file.h"
#include "checker/finding.h"

namespace cow::cli {

// Not a tracked folder: running a command from the README never rewrites a committed file.
inline constexpr const char* kDefaultOutDir = "cowcheck-out";
// Where a report says the file went when it could not be written.
inline constexpr const char* kNotWritten = "(not written: printed on stderr)";

// What op `i` of a finding returned; the op that stopped the implementation
// returned nothing, and shows the kind of stop.
std::string step_text(const Finding& f, std::size_t i);

// The .cow file of `f` found on `impl`: its ops, each with what it returned,
// its invariant, the configuration and `notes` ("found by" first).
CowFile finding_file(const std::string& impl, const Config& config, const Finding& f,
                     std::vector<std::string> notes);

// The notes every engine's finding ends with: "violation at op N: ..." (or
// another word for what was found), how it was found, and a warning when it
// did not fail again on a fresh run.
std::vector<std::string> outcome_notes(const Finding& f, std::string_view found = "violation");

// Writes `file` as out_dir/name, placed so that it travels (placed_in), and
// returns its path; when that fails, prints the whole file on stderr instead
// and returns kNotWritten. Never throws, even when stderr cannot be written
// either: the caller goes on to report the finding and exit 1.
std::string save_finding(const CowFile& file, const std::filesystem::path& out_dir,
                         const std::string& name) noexcept;

// A name a .cow file cannot hold (a control character) is bad input.
void require_writable_name(const std::string& impl);

// One word for a POSIX shell, so that a "found by" line can be pasted.
std::string shell_word(const std::string& word);

}  // namespace cow::cli
