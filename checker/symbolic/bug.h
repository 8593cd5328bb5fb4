// Which implementation the symbolic encoding stands for: the reference model
// or one of its built-in mutants. A mutant is the model with one virtual step
// overridden (model/mutants/), so the encoding has one switch per step and a
// Bug sets the switch the way that mutant's override does.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace cow::symbolic {

// Named as model/mutants/mutants.cpp names them; None is the model.
enum class Bug : std::uint8_t {
  None,
  ChildTableMemcpy,    // fork_share_page: child = parent, nobody write-protected
  ParentLeftWritable,  // fork_share_page: only the child write-protected
  ChildLeftWritable,   // fork_share_page: only the parent write-protected
  ForkNoRefcount,      // fork_share_page: no frame_get
  ForkDropsCowBit,     // fork_share_page: read-only without the cow bit
  CopyAlways,          // can_reuse_frame: never
  ReuseShared,         // can_reuse_frame: refcount <= 2
  ReuseKeepsCow,       // wp_reuse: writable, cow bit left set
  ReuseStaysReadonly,  // wp_reuse: does nothing
  CopyKeepsOldRef,     // wp_copy: no frame_put on the old frame
  CopyNoContents,      // wp_copy: the new frame keeps what it held (poison)
  ExitLeaks,           // exit_drop_page: no frame_put
  CopyoutNoCow,        // kernel_store: copyout stores into a present frame, no COW fault
  SwapoutOnePte,       // swapout_unmap: only the first PTE (space, vpn order) is unmapped
  ForkSharesPinned,    // fork_copies_pinned: never (no early copy of pinned pages)
};

// Every Bug but None, in the order model/mutants lists the mutants.
std::span<const Bug> all_bugs();

// The built-in mutants the encoding leaves out, and why: "mutant:NAME" ->
// the reason, nullopt for any other name. explore and check find them.
std::optional<std::string_view> not_encoded(std::string_view impl);

// "mutant:child-table-memcpy" for ChildTableMemcpy, "model" for None.
std::string impl_of(Bug bug);

// The Bug for an implementation name; nullopt for one the encoding does not
// cover (a plug-in, the fast implementation, an unknown name).
std::optional<Bug> bug_of(std::string_view impl);

}  // namespace cow::symbolic
