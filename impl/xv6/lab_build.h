// Builds a lab into a plug-in: its headers (riscv.h's inline assembly
// shimmed), its kalloc.c, vm.c and trap.c unchanged, and the adapter, with
// the host's C compiler, into a cache folder keyed by every byte that goes
// in, so a lab is compiled once until it changes.
#pragma once

#include <cstdint>
#include <filesystem>

#include "impl/xv6/lab_tree.h"

namespace cow::xv6 {

// The machine's physical pages for `frames` user frames and `procs`
// processes: the frames, then three page-table pages per process.
std::uint32_t pool_pages(std::uint32_t frames, std::uint32_t procs);

// The library built from `lab` for a pool of `pool` pages. Throws LabError
// with the compiler's words when the lab does not compile for the host.
std::filesystem::path build_lab(const Lab& lab, std::uint32_t pool);

// Where built labs are kept: $COWCHECK_CACHE_DIR, else
// $XDG_CACHE_HOME/cowcheck, else ~/.cache/cowcheck, else /tmp.
std::filesystem::path cache_root();

}  // namespace cow::xv6
