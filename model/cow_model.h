// The reference model: the textbook COW fork, written to be obviously right
// (docs/mechanism.md says it op by op). fork shares every private frame and
// write-protects both sides; a write fault reuses a frame its writer owns
// alone and copies one that is shared. Everything that must find "every PTE
// that maps this frame" scans every address space: slow, and plainly right.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "model/frame_table.h"
#include "model/object_store.h"
#include "model/pte.h"
#include "model/swap_table.h"
#include "spec/implementation.h"
#include "spec/types.h"

namespace cow::model {

struct Vma {
  MapKind kind = MapKind::None;
  ObjectId object = kFileObject;  // shared anon: its object; file kinds: the file
  friend bool operator==(const Vma&, const Vma&) = default;
};

struct Space {
  std::vector<Vma> vmas;        // indexed by vpn
  std::vector<Pte> page_table;  // indexed by vpn
  friend bool operator==(const Space&, const Space&) = default;
};

struct Process {
  std::uint32_t space = 0;
  Pid vfork_parent = 0;  // set while running in the parent's space
  Pid suspended_by = 0;  // the vfork child this process waits for
  Pid group = 0;         // its thread group: the pid of the task that began it
  Pid owner = 0;         // the lowest live pid in its space, which names the space
  friend bool operator==(const Process&, const Process&) = default;
};

struct Pin {
  Pfn frame = kNoFrame;
  bool rw = false;
  friend bool operator==(const Pin&, const Pin&) = default;
};

class CowModel : public Implementation {
 public:
  explicit CowModel(const Config& config);

  bool same_state(const CowModel& other) const {
    return config_ == other.config_ && state_ == other.state_;
  }

  Outcome apply(const Op& op) override;
  std::optional<Snapshot> snapshot() const override;
  std::unique_ptr<Implementation> clone() const override;

 protected:
  // The steps of fork, fault and unmap, one virtual each, so a mutant is
  // this model with exactly one of them wrong.

  // fork, per present private page: the child's PTE from the parent's.
  virtual void fork_share_page(Pte& parent, Pte& child);
  // The reuse policy, a pure predicate: may the writer keep its frame?
  virtual bool can_reuse_frame(const Pte& pte) const;
  // Write fault, sole owner: keep the frame, make the PTE writable.
  virtual void wp_reuse(Pte& pte);
  // Write fault, shared frame: move the writer to a private copy. False
  // when no frame is free.
  virtual bool wp_copy(Pte& pte);
  // exit, exec, munmap, per page: drop the page's frame or swap slot.
  virtual void exit_drop_page(Pte& pte);
  // swapout of an anonymous frame: every PTE that maps it now names `slot`.
  virtual void swapout_unmap(Pfn frame, Slot slot);
  // fork of a pinned page the parent owns alone: must the child get a copy
  // now, so the pin stays with the parent's page?
  virtual bool fork_copies_pinned(const Pte& parent) const;
  // The page allocator: the lowest free frame, or none.
  virtual std::optional<Pfn> alloc_frame();
  // unpin: the pin lets go of its frame.
  virtual void unpin_frame(const Pin& pin);
  // The kernel's store into a user page (copyout), after the checks.
  virtual Outcome kernel_store(Space& space, Vpn vpn, std::uint32_t word, Value value);

  FrameTable& frames() { return state_.frames; }
  const FrameTable& frames() const { return state_.frames; }
  SwapTable& swap() { return state_.swap; }
  const Config& config() const { return config_; }
  // Present PTEs that map `frame`, in every address space.
  std::uint32_t mapcount(Pfn frame) const;
  bool is_cache_frame(Pfn frame) const { return state_.cache_owner.count(frame) != 0; }
  // Drops a reference; a cache frame's last one writes it back to its object.
  void put_frame(Pfn frame);
  // Whether some pin holds `frame`: swapout answers busy, fork copies early.
  virtual bool pinned(Pfn frame) const;
  // The fault path a user write takes: bring the page in, break COW.
  Outcome do_write(Space& space, Vpn vpn, std::uint32_t word, Value value);
  // Every PTE, in every address space, in (space, vpn) order: the reverse map.
  template <typename F>
  void for_each_pte(F&& f) {
    for (auto& [id, space] : state_.spaces)
      for (Pte& pte : space.page_table) f(pte);
  }

 protected:
  struct FaultResult {
    Status status = Status::Ok;
    Fault fault = Fault::None;
  };

  // Everything an op can change, so a failed allocation can undo it all.
  struct State {
    FrameTable frames;
    SwapTable swap{};
    ObjectStore objects;
    std::map<Pfn, ObjectPage> cache_owner{};
    std::map<std::uint32_t, Space> spaces{};
    std::map<Pid, Process> procs{};
    std::map<PinId, Pin> pins{};
    Pid next_pid = kInitPid + 1;
    PinId next_pin = 1;
    std::uint32_t next_space = 0;
    friend bool operator==(const State&, const State&) = default;
  };

  std::size_t frames_needed(const Op& op) const;
  Outcome dispatch(const Op& op);
  Outcome page_op(const Op& op, Space& space);
  Outcome do_fork(Pid pid);
  Space fork_child_space(const Space& parent) const;  // the mappings, no page yet
  bool fork_page(Space& parent, Space& child, Vpn vpn);
  Pid fork_install(Space child);  // the child runs in it: its pid
  Outcome do_vfork(Pid pid);
  Outcome do_exec(Pid pid);
  Outcome do_thread(Pid pid);
  Outcome do_map(const Op& op);
  Outcome do_madvise(const Op& op);
  Outcome do_memwrite(Space& space, Vpn vpn, std::uint32_t word, Value value);
  FaultResult force_cow(Pte& pte);  // text: a private, still read-only copy
  Outcome do_read(Space& space, Vpn vpn, std::uint32_t word);
  Outcome do_pin(Space& space, Vpn vpn, bool rw);
  Outcome do_unpin(const Op& op);
  Outcome do_swapout(Space& space, Vpn vpn);

  FaultResult fault_in_read(Space& space, Vpn vpn);
  FaultResult fault_in_write(Space& space, Vpn vpn);
  FaultResult wp_fault(Pte& pte);
  bool zero_fill(Pte& pte);
  bool page_in(Space& space, Vpn vpn);
  bool swap_in(Slot slot);
  void evict_cache_frame(Pfn frame);

  Space fresh_space() const;
  Space& space_of(Pid pid) { return state_.spaces.at(state_.procs.at(pid).space); }
  void end_process(Pid pid);
  void end_thread_group(Pid pid);        // exec: every other task of the caller's group
  void name_space(std::uint32_t space);  // after its tasks changed: every task's owner
  void leave_vfork(Pid pid);
  // Private pages are copy-on-write across fork; so is a text page a forced
  // write gave its process a copy of.
  bool fork_shares_cow(MapKind kind, const Pte& pte) const;
  void release_space(std::uint32_t id);
  Pid space_owner(Pid pid) const { return state_.procs.at(pid).owner; }

  Config config_;
  State state_;
};

}  // namespace cow::model
