// The meaning of "correct": the naive fork. Every process owns a private
// copy of each private page and fork copies them eagerly; a shared mapping
// or a file page is one object seen by every mapper. It knows nothing of
// frames, PTEs, swap or faults.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "spec/op.h"
#include "spec/outcome.h"
#include "spec/types.h"

namespace cow {

class Semantics {
 public:
  // A page's contents, and who wrote each word, so a wrong read can say
  // whose write it saw.
  struct Page {
    PageData data{};
    std::array<Pid, kMaxWords> writer{};  // 0: nobody yet
    friend bool operator==(const Page&, const Page&) = default;
  };
  using CellId = std::uint32_t;  // one page of memory; cells 0..pages-1 are the file

  // A vpn's mapping and the cell it shows. A private file page shows the
  // file's cell until its process first writes it (`own` false), then a
  // cell of its own: what MAP_PRIVATE does.
  struct Mapping {
    MapKind kind = MapKind::None;
    CellId cell = 0;
    bool own = false;
    friend bool operator==(const Mapping&, const Mapping&) = default;
  };
  using SpaceId = std::uint32_t;
  struct Process {
    SpaceId space = 0;
    Pid vfork_parent = 0;  // set while the process runs in its parent's space
    Pid suspended_by = 0;  // the vfork child this process waits for
    Pid group = 0;         // its thread group: the pid of the task that began it
    Pid owner = 0;         // the lowest live pid in its space, which names the space

    friend bool operator==(const Process&, const Process&) = default;
  };

  explicit Semantics(const Config& config);

  // What `op` must return. The fault kind is left None: how a fault is
  // served is not observable by a program.
  Outcome expect(const Op& op) const;

  // Advances by `op`, given what the implementation reported: OutOfMemory
  // leaves the state unchanged, Killed ends the process, as they must.
  void apply(const Op& op, const Outcome& actual);

  // May an implementation answer `actual` where the semantics says `expected`?
  // Running out of frames (and a swapout left undone because the frame is
  // pinned) is not observable in the naive fork, so those are allowed.
  bool allows(const Op& op, const Outcome& expected, const Outcome& actual) const;

  bool live(Pid pid) const { return procs_.count(pid) != 0; }
  const std::map<Pid, Process>& processes() const { return procs_; }
  // The pid that names the space `pid` runs in: the lowest live pid in it,
  // so a vfork child's is its parent and a thread's its group's first.
  Pid space_owner(Pid pid) const { return procs_.at(pid).owner; }
  const std::vector<Mapping>& space(Pid pid) const { return spaces_.at(procs_.at(pid).space); }
  // What `pid` sees at `vpn`, or null when nothing is mapped there.
  const Page* view(Pid pid, Vpn vpn) const;
  const Page& cell(CellId id) const { return cells_.at(id); }
  std::size_t cell_count() const { return cells_.size(); }  // ids are below this
  const std::map<PinId, CellId>& pins() const { return pins_; }
  bool pin_rw(PinId id) const { return pin_rw_.count(id) != 0; }
  Pid next_pid() const { return next_pid_; }
  PinId next_pin() const { return next_pin_; }
  const Config& config() const { return config_; }

  // Equal states answer every op alike (the concurrent oracle merges them).
  friend bool operator==(const Semantics&, const Semantics&) = default;

 private:
  Outcome expect_page_op(const Op& op, const Process& proc) const;
  CellId new_cell(const Page& page);
  Mapping fresh_mapping(MapKind kind, Vpn vpn);
  void fork_space(Pid parent, Pid child);
  void end_process(Pid pid);  // exit, or the OOM killer
  void leave_vfork(Pid pid);
  void exec_space(Pid pid);
  void name_space(SpaceId space);  // after its tasks changed: every task's owner
  void own_page(Mapping& m);       // a private file page's first write, or a forced one of text
  void store(const Op& op);        // write, copyout, memwrite
  void collect();                  // forget cells nothing can reach

  Config config_;
  std::map<Pid, Process> procs_;
  std::map<SpaceId, std::vector<Mapping>> spaces_;
  // Indexed by id; an id nothing reaches is free for the next new cell, so
  // copying a state (the exhaustive search does, per op) is one vector.
  std::vector<Page> cells_;
  std::vector<bool> cell_used_;
  std::map<PinId, CellId> pins_;
  std::set<PinId> pin_rw_;  // the pins taken read-write
  Pid next_pid_ = kInitPid + 1;
  PinId next_pin_ = 1;
  SpaceId next_space_ = 0;
};

}  // namespace cow
