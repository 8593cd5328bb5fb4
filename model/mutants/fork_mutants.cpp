#include "model/mutants/fork_mutants.h"

#include "model/mutants/mutant_of.h"

namespace cow::model {

namespace {

// Seed 001: "to initialize the child's page table, just use memcpy() to
// copy the entire page table from the parent" - which is wrong: the parent
// keeps writing into a frame the child maps.
class ChildTableMemcpy : public MutantOf<ChildTableMemcpy> {
  using MutantOf::MutantOf;
  void fork_share_page(Pte& parent, Pte& child) override {
    if (parent.present) frames().frame_get(parent.frame);
    child = parent;
  }
};

class ParentLeftWritable : public MutantOf<ParentLeftWritable> {
  using MutantOf::MutantOf;
  void fork_share_page(Pte& parent, Pte& child) override {
    if (!parent.present) return;
    frames().frame_get(parent.frame);
    child = parent;
    pte_write_protect(child);
  }
};

class ChildLeftWritable : public MutantOf<ChildLeftWritable> {
  using MutantOf::MutantOf;
  void fork_share_page(Pte& parent, Pte& child) override {
    if (!parent.present) return;
    frames().frame_get(parent.frame);
    child = parent;
    pte_write_protect(parent);
  }
};

class ForkNoRefcount : public MutantOf<ForkNoRefcount> {
  using MutantOf::MutantOf;
  void fork_share_page(Pte& parent, Pte& child) override {
    if (!parent.present) return;
    pte_share(parent);
    child = parent;
  }
};

// Write-protects without remembering why, so the next write is taken for a
// write to a read-only page.
class ForkDropsCowBit : public MutantOf<ForkDropsCowBit> {
  using MutantOf::MutantOf;
  void fork_share_page(Pte& parent, Pte& child) override {
    if (!parent.present) return;
    frames().frame_get(parent.frame);
    parent.writable = false;
    parent.cow = false;
    parent.exclusive = false;
    child = parent;
  }
};

}  // namespace

std::unique_ptr<Implementation> make_child_table_memcpy(const Config& c) {
  return std::make_unique<ChildTableMemcpy>(c);
}
std::unique_ptr<Implementation> make_parent_left_writable(const Config& c) {
  return std::make_unique<ParentLeftWritable>(c);
}
std::unique_ptr<Implementation> make_child_left_writable(const Config& c) {
  return std::make_unique<ChildLeftWritable>(c);
}
std::unique_ptr<Implementation> make_fork_no_refcount(const Config& c) {
  return std::make_unique<ForkNoRefcount>(c);
}
std::unique_ptr<Implementation> make_fork_drops_cow_bit(const Config& c) {
  return std::make_unique<ForkDropsCowBit>(c);
}

}  // namespace cow::model
