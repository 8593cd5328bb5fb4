// The benchmark's figures: each a key with its unit in the name (as --json
// prints it), a value, and a line of the table a reader sees.
#pragma once

#include <string>
#include <vector>

namespace cow::bench {

struct Figure {
  std::string key;  // "host_fork_ns_per_page_1024mib"
  double value = 0;
  std::string label;  // "host fork(), 1 GiB, per page"
  std::string unit;   // "ns"
};

struct Target {
  std::string key;          // "target_eager_fork_fifth_of_host_met"
  std::string description;  // "eager fork <= 1/5 of host fork per page"
  std::string measured;     // "0.04x at 1 GiB"
  bool met = false;
};

class Report {
 public:
  void section(std::string title) { sections_.push_back({std::move(title), {}}); }
  void add(std::string key, double value, std::string label, std::string unit);
  void target(Target t) { targets_.push_back(std::move(t)); }
  void note(std::string line) { notes_.push_back(std::move(line)); }

  std::string table() const;
  std::string json() const;

 private:
  struct Section {
    std::string title;
    std::vector<Figure> figures;
  };
  std::vector<Section> sections_;
  std::vector<Target> targets_;
  std::vector<std::string> notes_;
};

}  // namespace cow::bench
