// The meaning of "correct": the naive fork. Every process owns a private
// array of page values and fork copies it eagerly. It knows nothing of
// frames, PTEs or faults.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "spec/op.h"
#include "spec/outcome.h"
#include "spec/types.h"

namespace cow {

class Semantics {
 public:
  // Where a page's value came from, so a wrong read can say whose write it saw.
  struct Page {
    PageData data{};
    std::array<Pid, kMaxWords> writer{};  // who wrote each word; 0: nobody yet
  };
  using Space = std::vector<Page>;

  explicit Semantics(const Config& config);

  // What `op` must return. The fault kind is left None: how a fault is
  // served is not observable by a program.
  Outcome expect(const Op& op) const;

  // Advances by `op`, given what the implementation reported: an
  // OutOfMemory outcome leaves the state unchanged, as it must.
  void apply(const Op& op, const Outcome& actual);

  bool live(Pid pid) const { return spaces_.count(pid) != 0; }
  const std::map<Pid, Space>& spaces() const { return spaces_; }
  Pid next_pid() const { return next_pid_; }
  const Config& config() const { return config_; }

 private:
  Config config_;
  std::map<Pid, Space> spaces_;
  Pid next_pid_ = kInitPid + 1;
};

}  // namespace cow
