// What check and diff share once an engine has run on one implementation:
// saving the finding as a .cow file before reporting it, printing its
// steps, its JSON, and the exit status of the whole command.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checker/cow_file.h"
#include "checker/random_engine.h"

namespace cow::cli {

struct ImplReport {
  std::string impl;
  CheckResult result;
  std::string file;  // the .cow written, if any
};

// What op `i` of a finding returned; the op that stopped the implementation
// returned nothing, and shows the kind of stop.
std::string step_text(const Finding& f, std::size_t i);

// The finding's ops with one outcome comment each, the invariant and
// configuration; the caller adds its own notes.
CowFile finding_file(const ImplReport& report, const Config& config);

// Writes `file` into `out_dir`, or prints it whole on stderr when it cannot:
// a finding is never lost. Sets report.file.
void save_finding(ImplReport& report, const std::string& out_dir, const CowFile& file);

// The violation, the numbered steps and where the file went.
void print_finding(const ImplReport& report);

double ops_per_second(const CheckResult& r);
nlohmann::json report_json(const ImplReport& report);

// 1 when something was found, 0 when not; with expect_violation, 0 only
// when every implementation had a finding.
int exit_status(const std::vector<ImplReport>& reports, bool expect_violation);

}  // namespace cow::cli
