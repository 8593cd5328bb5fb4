#include "model/mutants/fault_mutants.h"

#include "model/mutants/mutant_of.h"

namespace cow::model {

namespace {

// Never takes the sole-owner path: correct data, one wasted frame and copy
// per fault (what a kernel without the optimization does).
class CopyAlways : public MutantOf<CopyAlways> {
  using MutantOf::MutantOf;
  bool can_reuse_frame(const Pte&) const override { return false; }
};

// Compares against the wrong count, as if the writer's own reference and
// one more were both its own.
class ReuseShared : public MutantOf<ReuseShared> {
  using MutantOf::MutantOf;
  bool can_reuse_frame(const Pte& pte) const override { return frames().refcount(pte.frame) <= 2; }
};

class ReuseKeepsCow : public MutantOf<ReuseKeepsCow> {
  using MutantOf::MutantOf;
  void wp_reuse(Pte& pte) override { pte.writable = true; }
};

// Reuses the frame but leaves the PTE read-only: every later write faults
// again, and the fault path runs where none was needed.
class ReuseStaysReadonly : public MutantOf<ReuseStaysReadonly> {
  using MutantOf::MutantOf;
  void wp_reuse(Pte&) override {}
};

class CopyKeepsOldRef : public MutantOf<CopyKeepsOldRef> {
  using MutantOf::MutantOf;
  bool wp_copy(Pte& pte) override {
    std::optional<Pfn> copy = frames().frame_alloc();
    if (!copy) return false;
    frames().set_contents(*copy, frames().contents(pte.frame));
    pte_map_own(pte, *copy);
    return true;
  }
};

// Allocates and maps a new frame but never copies into it, so the writer
// sees whatever the frame held before, not its own page.
class CopyNoContents : public MutantOf<CopyNoContents> {
  using MutantOf::MutantOf;
  bool wp_copy(Pte& pte) override {
    std::optional<Pfn> copy = frames().frame_alloc();
    if (!copy) return false;
    frames().frame_put(pte.frame);
    pte_map_own(pte, *copy);
    return true;
  }
};

}  // namespace

std::unique_ptr<Implementation> make_copy_always(const Config& c) {
  return std::make_unique<CopyAlways>(c);
}
std::unique_ptr<Implementation> make_reuse_shared(const Config& c) {
  return std::make_unique<ReuseShared>(c);
}
std::unique_ptr<Implementation> make_reuse_keeps_cow(const Config& c) {
  return std::make_unique<ReuseKeepsCow>(c);
}
std::unique_ptr<Implementation> make_reuse_stays_readonly(const Config& c) {
  return std::make_unique<ReuseStaysReadonly>(c);
}
std::unique_ptr<Implementation> make_copy_keeps_old_ref(const Config& c) {
  return std::make_unique<CopyKeepsOldRef>(c);
}
std::unique_ptr<Implementation> make_copy_no_contents(const Config& c) {
  return std::make_unique<CopyNoContents>(c);
}

}  // namespace cow::model
