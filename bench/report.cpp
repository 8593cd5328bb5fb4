#include "bench/report.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cow::bench {

namespace {

std::string number(double v) {
  if (v >= 1e6) return fmt::format("{:.0f}", v);
  if (v >= 100) return fmt::format("{:.0f}", v);
  if (v >= 10) return fmt::format("{:.1f}", v);
  if (v >= 0.01) return fmt::format("{:.2f}", v);
  return fmt::format("{:.4f}", v);
}

}  // namespace

void Report::add(std::string key, double value, std::string label, std::string unit) {
  if (sections_.empty()) section("");
  sections_.back().figures.push_back({std::move(key), value, std::move(label), std::move(unit)});
}

std::string Report::table() const {
  std::string text;
  for (const Section& s : sections_) {
    text += fmt::format("\n{}\n", s.title);
    for (const Figure& f : s.figures)
      text += fmt::format("  {:<58} {:>14} {}\n", f.label, number(f.value), f.unit);
  }
  text += "\ntargets\n";
  for (const Target& t : targets_)
    text +=
        fmt::format("  [{}] {:<52} {}\n", t.met ? " met  " : "MISSED", t.description, t.measured);
  for (const std::string& n : notes_) text += fmt::format("\n{}", n);
  if (!notes_.empty()) text += "\n";
  return text;
}

std::string Report::json() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  for (const Section& s : sections_)
    for (const Figure& f : s.figures) j[f.key] = f.value;
  for (const Target& t : targets_) j[t.key] = t.met;
  return j.dump(2);
}

}  // namespace cow::bench
