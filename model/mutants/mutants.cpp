#include "model/mutants/mutants.h"

#include <array>

#include "model/mutants/exit_mutants.h"
#include "model/mutants/fault_mutants.h"
#include "model/mutants/fork_mutants.h"
#include "model/mutants/kernel_mutants.h"

namespace cow::model {

namespace {

constexpr std::array<MutantInfo, 17> kMutants = {{
    {"child-table-memcpy", "fork copies the parent's page table as is (seed 001's memcpy)",
     make_child_table_memcpy},
    {"parent-left-writable", "fork write-protects only the child", make_parent_left_writable},
    {"child-left-writable", "fork write-protects only the parent", make_child_left_writable},
    {"fork-no-refcount", "fork shares frames without raising their refcounts",
     make_fork_no_refcount},
    {"fork-drops-cow-bit", "fork write-protects without setting the cow bit",
     make_fork_drops_cow_bit},
    {"copy-always", "a write fault always copies, even for the sole owner", make_copy_always},
    {"reuse-shared", "the reuse test compares the refcount with 2, not 1", make_reuse_shared},
    {"reuse-keeps-cow", "reuse makes the PTE writable but leaves its cow bit",
     make_reuse_keeps_cow},
    {"reuse-stays-readonly", "reuse keeps the frame but never makes the PTE writable",
     make_reuse_stays_readonly},
    {"copy-keeps-old-ref", "a copy does not drop its reference to the old frame",
     make_copy_keeps_old_ref},
    {"copy-no-contents", "a copy maps a new frame without copying the page into it",
     make_copy_no_contents},
    {"exit-leaks", "exit drops page tables without dropping frame references", make_exit_leaks},
    {"copyout-no-cow", "copyout stores into the mapped frame without the COW fault (xv6 lab)",
     make_copyout_no_cow},
    {"swapout-one-pte", "swapout unmaps only the asking PTE, not every one in the reverse map",
     make_swapout_one_pte},
    {"fork-shares-pinned", "fork shares a pinned exclusive page instead of copying it (pre-5.10)",
     make_fork_shares_pinned},
    {"alloc-keeps-reserve", "the allocator refuses the last free frame (off by one)",
     make_alloc_keeps_reserve},
    {"unpin-keeps-pincount", "unpin drops the reference but not the pin count: swapout stays busy",
     make_unpin_keeps_pincount},
}};

}  // namespace

std::span<const MutantInfo> builtin_mutants() { return kMutants; }

}  // namespace cow::model
