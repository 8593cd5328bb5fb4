#include "checker/cli/findings.h"

#include <cstdio>
#include <filesystem>

#include <fmt/format.h>

#include "checker/cli/commands.h"

namespace cow::cli {

std::string step_text(const Finding& f, std::size_t i) {
  bool last = i + 1 == f.ops.size();
  if (last && is_stop(f.violation.id)) return std::string(invariant_name(f.violation.id));
  return i < f.outcomes.size() ? to_string(f.outcomes[i]) : "";
}

CowFile finding_file(const ImplReport& r, const Config& config) {
  const Finding& f = *r.result.finding;
  CowFile file;
  file.impl = r.impl;
  file.config = config;
  file.invariant = f.violation.id;
  file.ops = f.ops;
  for (std::size_t i = 0; i < f.ops.size(); ++i) file.op_comments.push_back(step_text(f, i));
  return file;
}

void save_finding(ImplReport& report, const std::string& out_dir, const CowFile& file) {
  std::filesystem::path path = std::filesystem::path(out_dir) / cow_file_name(report.impl, file.config);
  try {
    write_cow_atomic(path, file);
    report.file = path.string();
  } catch (const std::exception& e) {
    fmt::print(stderr, "cowcheck: cannot write the counterexample: {}\n{}", e.what(),
               format_cow(file));
    report.file = "(not written: printed on stderr)";
  }
}

void print_finding(const ImplReport& r) {
  const Finding& f = *r.result.finding;
  fmt::print("  {}\n", to_string(f.violation));
  for (std::size_t i = 0; i < f.ops.size(); ++i)
    fmt::print("  {:>2}. {:<16} {}\n", i + 1, to_string(f.ops[i]), step_text(f, i));
  fmt::print("  counterexample: {}\n", r.file);
}

double ops_per_second(const CheckResult& r) { return r.seconds > 0 ? r.ops / r.seconds : 0; }

nlohmann::json report_json(const ImplReport& r) {
  const CheckResult& c = r.result;
  nlohmann::json j = {{"impl", r.impl},       {"violation", c.finding.has_value()},
                      {"runs", c.runs},       {"ops", c.ops},
                      {"seconds", c.seconds}, {"ops_per_second", ops_per_second(c)}};
  if (c.finding) {
    const Finding& f = *c.finding;
    j["invariant"] = invariant_name(f.violation.id);
    j["detail"] = to_string(f.violation);
    j["found_ops"] = c.found_length;
    j["counterexample_ops"] = f.ops.size();
    j["shrink_seconds"] = c.shrink_seconds;
    j["file"] = r.file;
    nlohmann::json ops = nlohmann::json::array();
    for (const Op& op : f.ops) ops.push_back(to_string(op));
    j["ops_list"] = ops;
  }
  return j;
}

int exit_status(const std::vector<ImplReport>& reports, bool expect_violation) {
  std::size_t caught = 0;
  for (const ImplReport& r : reports) caught += r.result.finding ? 1 : 0;
  if (expect_violation) return caught == reports.size() ? kExitOk : kExitViolation;
  return caught ? kExitViolation : kExitOk;
}

}  // namespace cow::cli
