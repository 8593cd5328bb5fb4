// The identity of a state for the exhaustive search, up to the symmetries
// that do not change what can happen next: which frame and swap-slot
// numbers the implementation picked and which semantic cells the semantics
// numbered (all renamed in order of first appearance, as spec/snapshot.h's
// canonicalize does), and which pid sits where (live processes are put in
// the order that gives the smallest key; with a vfork in flight, in pid
// order, since a borrower names its lender). Pin ids are renamed by age.
// The semantic contents are part of it: the same page tables with other
// values are another state.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "spec/semantics.h"
#include "spec/snapshot.h"

namespace cow::explore {

// Reuses its buffers between calls: one per thread.
class StateKeyer {
 public:
  // The canonical key of (snapshot, semantics). Two states get the same
  // key exactly when one is the other with frames, slots and cells renamed
  // and processes permuted. Valid until the next call.
  const std::string& key(const Snapshot& snap, const Semantics& sem);

 private:
  struct Page {
    const PteView* pte;      // null: the snapshot has no PTE for this page
    const FrameView* frame;  // null: not mapped, or mapped to a frame not listed
    const Semantics::Mapping* meaning;
  };
  struct Process {
    Pid pid = 0;
    std::vector<Page> pages;  // empty for a vfork child: it runs in its lender's space
    std::string signature;    // number-free: sorts processes before permuting ties
  };

  void gather(const Snapshot& snap, const Semantics& sem);
  void encode(const std::vector<std::size_t>& order, const Snapshot& snap, const Semantics& sem,
              std::string& out);
  std::uint32_t cell_name(const Semantics& sem, Semantics::CellId cell);

  // Buffers kept between calls: the search computes a key per op tried.
  std::vector<Process> procs_;
  std::size_t live_ = 0;  // procs_[0, live_) are this state's
  bool vfork_ = false;    // some process runs in another's space
  std::vector<std::size_t> order_;
  std::vector<std::size_t> first_seen_;
  std::vector<std::string> unmapped_;
  std::string best_, candidate_;
  std::vector<std::uint32_t> mappers_;  // by index into snap.frames
  std::vector<std::uint32_t> rename_;   // by index into snap.frames; 0 = not yet named
  std::vector<std::pair<Slot, std::uint32_t>> slot_names_;  // few: searched in order
  std::vector<std::uint32_t> cell_names_;  // by cell id; 0 = not yet named, else name + 1
  std::uint32_t cells_named_ = 0;
  std::uint32_t words_ = 1;
};

}  // namespace cow::explore
