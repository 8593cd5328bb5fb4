#include "model/mutants/kernel_mutants.h"

#include <set>

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
      pte_swap_out(pte, slot);
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

// The allocator's low-water check is off by one (`free <= 1` for
// `free < 1`): it refuses the last free frame, so an op that needs exactly
// the frames left answers out-of-memory.
class AllocKeepsReserve : public MutantOf<AllocKeepsReserve> {
  using MutantOf::MutantOf;
  std::optional<Pfn> alloc_frame() override {
    if (frames().free_count() <= 1) return std::nullopt;
    return CowModel::alloc_frame();
  }
};

// unpin drops the pin's reference but not the frame's pin count (put_page
// where unpin_user_page was meant): the frame looks pinned for good, so
// swapout answers busy and fork copies it early.
class UnpinKeepsPincount : public MutantOf<UnpinKeepsPincount> {
  using MutantOf::MutantOf;
  void unpin_frame(const Pin& pin) override {
    stale_.insert(pin.frame);
    CowModel::unpin_frame(pin);
  }
  bool pinned(Pfn frame) const override {
    return stale_.count(frame) != 0 || CowModel::pinned(frame);
  }
  std::set<Pfn> stale_;
};

}  // namespace

std::unique_ptr<Implementation> make_alloc_keeps_reserve(const Config& c) {
  return std::make_unique<AllocKeepsReserve>(c);
}
std::unique_ptr<Implementation> make_unpin_keeps_pincount(const Config& c) {
  return std::make_unique<UnpinKeepsPincount>(c);
}
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
