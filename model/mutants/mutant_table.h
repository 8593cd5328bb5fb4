// The one list of built-in mutants: the reference model with one realistic
// bug each, named after the bug and after the model step it breaks. The
// model's mutants (mutants.cpp) and the Z3 encoding's switches
// (checker/symbolic/bug.h) are both read from this table; a mutant the
// encoding has no switch for says why. Header-only, so an engine can name
// mutants without linking them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace cow::model {

enum class Mutant : std::uint8_t {
  None,  // the reference model itself
  ChildTableMemcpy,
  ParentLeftWritable,
  ChildLeftWritable,
  ForkNoRefcount,
  ForkDropsCowBit,
  CopyAlways,
  ReuseShared,
  ReuseKeepsCow,
  ReuseStaysReadonly,
  CopyKeepsOldRef,
  CopyNoContents,
  ExitLeaks,
  CopyoutNoCow,
  SwapoutOnePte,
  ForkSharesPinned,
  AllocKeepsReserve,
  UnpinKeepsPincount,
};

struct MutantRow {
  Mutant id;
  std::string_view name;  // as in --impl mutant:NAME
  std::string_view step;  // the CowModel step it overrides
  std::string_view bug;   // one line: what is wrong
  // Empty when the Z3 encoding has a switch for it; otherwise why not.
  std::string_view not_encoded = {};
};

inline constexpr MutantRow kMutants[] = {
    {Mutant::None, "", "", ""},
    {Mutant::ChildTableMemcpy, "child-table-memcpy", "fork_share_page",
     "fork copies the parent's page table as is (seed 001's memcpy)"},
    {Mutant::ParentLeftWritable, "parent-left-writable", "fork_share_page",
     "fork write-protects only the child"},
    {Mutant::ChildLeftWritable, "child-left-writable", "fork_share_page",
     "fork write-protects only the parent"},
    {Mutant::ForkNoRefcount, "fork-no-refcount", "fork_share_page",
     "fork shares frames without raising their refcounts"},
    {Mutant::ForkDropsCowBit, "fork-drops-cow-bit", "fork_share_page",
     "fork write-protects without setting the cow bit"},
    {Mutant::CopyAlways, "copy-always", "can_reuse_frame",
     "a write fault always copies, even for the sole owner"},
    {Mutant::ReuseShared, "reuse-shared", "can_reuse_frame",
     "the reuse test compares the refcount with 2, not 1"},
    {Mutant::ReuseKeepsCow, "reuse-keeps-cow", "wp_reuse",
     "reuse makes the PTE writable but leaves its cow bit"},
    {Mutant::ReuseStaysReadonly, "reuse-stays-readonly", "wp_reuse",
     "reuse keeps the frame but never makes the PTE writable"},
    {Mutant::CopyKeepsOldRef, "copy-keeps-old-ref", "wp_copy",
     "a copy does not drop its reference to the old frame"},
    {Mutant::CopyNoContents, "copy-no-contents", "wp_copy",
     "a copy maps a new frame without copying the page into it"},
    {Mutant::ExitLeaks, "exit-leaks", "exit_drop_page",
     "exit drops page tables without dropping frame references"},
    {Mutant::CopyoutNoCow, "copyout-no-cow", "kernel_store",
     "copyout stores into the mapped frame without the COW fault (xv6 lab)"},
    {Mutant::SwapoutOnePte, "swapout-one-pte", "swapout_unmap",
     "swapout unmaps only the asking PTE, not every one in the reverse map"},
    {Mutant::ForkSharesPinned, "fork-shares-pinned", "fork_copies_pinned",
     "fork shares a pinned exclusive page instead of copying it (pre-5.10)"},
    // Both are caught by RC's check that an answer the semantics leaves open
    // is justified by the state before the op (spec/check_choice.cpp).
    {Mutant::AllocKeepsReserve, "alloc-keeps-reserve", "alloc_frame",
     "the allocator refuses the last free frame (off by one)",
     "the encoding's allocator has no switch to keep a frame back"},
    {Mutant::UnpinKeepsPincount, "unpin-keeps-pincount", "unpin_frame",
     "unpin drops the reference but not the pin count: swapout stays busy",
     "the encoding keeps no pin count apart from the pins held"},
};

constexpr const MutantRow& mutant_row(Mutant id) { return kMutants[static_cast<std::size_t>(id)]; }

static_assert(
    [] {
      for (std::size_t i = 0; i < std::size(kMutants); ++i)
        if (static_cast<std::size_t>(kMutants[i].id) != i) return false;
      return true;
    }(),
    "kMutants is indexed by Mutant");

inline constexpr std::string_view kMutantPrefix = "mutant:";

// "mutant:NAME" (or NAME) -> its row's id; nullopt for any other name.
constexpr std::optional<Mutant> mutant_named(std::string_view impl) {
  if (impl.starts_with(kMutantPrefix)) impl.remove_prefix(kMutantPrefix.size());
  for (const MutantRow& row : kMutants)
    if (row.id != Mutant::None && row.name == impl) return row.id;
  return std::nullopt;
}

}  // namespace cow::model
