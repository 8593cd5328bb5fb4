#include "model/mutants/mutants.h"

#include <array>
#include <utility>

#include "model/mutants/exit_mutants.h"
#include "model/mutants/fault_mutants.h"
#include "model/mutants/fork_mutants.h"
#include "model/mutants/kernel_mutants.h"
#include "model/mutants/mutant_table.h"

namespace cow::model {

namespace {

using Make = std::unique_ptr<Implementation> (*)(const Config&);

// How to build each row of kMutants, in its order (None has no maker).
constexpr std::pair<Mutant, Make> kMakers[] = {
    {Mutant::ChildTableMemcpy, make_child_table_memcpy},
    {Mutant::ParentLeftWritable, make_parent_left_writable},
    {Mutant::ChildLeftWritable, make_child_left_writable},
    {Mutant::ForkNoRefcount, make_fork_no_refcount},
    {Mutant::ForkDropsCowBit, make_fork_drops_cow_bit},
    {Mutant::CopyAlways, make_copy_always},
    {Mutant::ReuseShared, make_reuse_shared},
    {Mutant::ReuseKeepsCow, make_reuse_keeps_cow},
    {Mutant::ReuseStaysReadonly, make_reuse_stays_readonly},
    {Mutant::CopyKeepsOldRef, make_copy_keeps_old_ref},
    {Mutant::CopyNoContents, make_copy_no_contents},
    {Mutant::ExitLeaks, make_exit_leaks},
    {Mutant::CopyoutNoCow, make_copyout_no_cow},
    {Mutant::SwapoutOnePte, make_swapout_one_pte},
    {Mutant::ForkSharesPinned, make_fork_shares_pinned},
    {Mutant::AllocKeepsReserve, make_alloc_keeps_reserve},
    {Mutant::UnpinKeepsPincount, make_unpin_keeps_pincount},
};

static_assert(
    std::size(kMakers) + 1 == std::size(kMutants) &&
        [] {
          for (std::size_t i = 0; i < std::size(kMakers); ++i)
            if (static_cast<std::size_t>(kMakers[i].first) != i + 1) return false;
          return true;
        }(),
    "one maker per row of kMutants, in its order");

const std::array<MutantInfo, std::size(kMakers)> kInfos = [] {
  std::array<MutantInfo, std::size(kMakers)> infos{};
  for (std::size_t i = 0; i < infos.size(); ++i) {
    const MutantRow& row = mutant_row(kMakers[i].first);
    infos[i] = {row.name, row.bug, kMakers[i].second};
  }
  return infos;
}();

}  // namespace

std::span<const MutantInfo> builtin_mutants() { return kInfos; }

}  // namespace cow::model
