#include "impl/fast/fast.h"

#include <array>

namespace cow::fast {

namespace {

constexpr FastOptions kEager{ForkMode::Eager, true, Mutation::None};
constexpr FastOptions kShared{ForkMode::SharedTables, true, Mutation::None};

constexpr FastOptions mutant(FastOptions base, Mutation m) {
  base.mutation = m;
  return base;
}

constexpr std::array<FastVariant, 7> kVariants = {{
    {"fast", "radix page tables, frame arena, eager fork (copies every PTE)", kEager, false},
    {"fast:shared-tables",
     "radix page tables, frame arena, fork shares leaf tables until the first write "
     "(On-Demand-Fork)",
     kShared, false},
    {"fast-mutant:unshare-no-refcount",
     "unsharing a leaf table does not raise the refcounts of the frames it maps",
     mutant(kShared, Mutation::UnshareNoRefcount), true},
    {"fast-mutant:stale-tlb", "a COW copy leaves the writer's stale cached translation",
     mutant(kEager, Mutation::StaleTlb), true},
    {"fast-mutant:index-shift",
     "the level-1 index shift is one bit short, so fork and exit miss vpns 256..511",
     mutant(kEager, Mutation::IndexShift), true},
    {"fast-mutant:free-shared-table",
     "exit drops the frames of a leaf table another process still shares",
     mutant(kShared, Mutation::FreeSharedTable), true},
    {"fast-mutant:swapout-one-pte",
     "swapout moves only the evicting PTE to the slot, not every PTE in the reverse map",
     mutant(kEager, Mutation::SwapoutOnePte), true},
}};

}  // namespace

std::span<const FastVariant> fast_variants() { return kVariants; }

std::unique_ptr<Implementation> make_fast(const Config& config, const FastOptions& options) {
  return std::make_unique<FastCow>(config, options);
}

}  // namespace cow::fast
