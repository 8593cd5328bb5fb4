#include "model/mutants/kernel_mutants.h"

#include "model/mutants/mutant_of.h"

namespace cow::model {

namespace {

// The xv6 COW lab's classic: copyout walks the page table and stores into
// the frame it finds, without the write fault a user store would take.
class CopyoutNoCow : public MutantOf<CopyoutNoCow> {
  using MutantOf::MutantOf;
  Outcome kernel_store(Space& space, Vpn vpn, std::uint32_t word, Value value) override {
    const Pte& pte = space.page_table[vpn];
    if (!pte.present) return do_write(space, vpn, word, value);
    frames().set_word(pte.frame, word, value);
    return Outcome::wrote(Fault::None);
  }
};

// Evicts the frame from the page table that asked and forgets the reverse
// map: every other process still maps the frame that was just freed.
class SwapoutOnePte : public MutantOf<SwapoutOnePte> {
  using MutantOf::MutantOf;
  void swapout_unmap(Pfn frame, Slot slot) override {
    bool done = false;
    for_each_pte([&](Pte& pte) {
      if (done || !pte.present || pte.frame != frame) return;
      done = true;
      swap().slot_get(slot);
      pte.present = false;
      pte.frame = kNoFrame;
      pte.slot = slot;
    });
    while (frames().refcount(frame) != 0) put_frame(frame);
  }
};

// Linux before 5.10: fork shares a pinned page like any other, so the
// pinner's next write copies and the pin is left with the child.
class ForkSharesPinned : public MutantOf<ForkSharesPinned> {
  using MutantOf::MutantOf;
  bool fork_copies_pinned(const Pte&) const override { return false; }
};

}  // namespace

std::unique_ptr<Implementation> make_copyout_no_cow(const Config& c) {
  return std::make_unique<CopyoutNoCow>(c);
}
std::unique_ptr<Implementation> make_swapout_one_pte(const Config& c) {
  return std::make_unique<SwapoutOnePte>(c);
}
std::unique_ptr<Implementation> make_fork_shares_pinned(const Config& c) {
  return std::make_unique<ForkSharesPinned>(c);
}

}  // namespace cow::model
