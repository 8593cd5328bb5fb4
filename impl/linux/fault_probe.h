// Loads and stores that may fault, made by a server on the pages under
// test, and the kernel's answer when they do: SIGSEGV with SEGV_MAPERR (no
// mapping there) or SEGV_ACCERR (the mapping forbids it), caught and turned
// into a result rather than the end of the server. The kernel's own verdict,
// not the server's bookkeeping, so that an unmapped page or a read-only text
// page is what the host says it is.
#pragma once

#include <cstdint>

#include "impl/linux/server_wire.h"

namespace cow::linux_host {

// Installs the SIGSEGV handler; once per process image (a forked or vforked
// child inherits it).
void install_fault_probe();

// Writes the probe's own state, so that the first probe after a fork takes
// no COW fault of its own.
void settle_fault_probe();
// In a fork's child: the probes its parent's other tasks had in flight at
// the fork are none of its own (the child has the calling task only).
void forget_other_probes();

Access probe_store(volatile std::uint32_t* word, std::uint32_t value);
Access probe_load(const volatile std::uint32_t* word, std::uint32_t* value);

// A system call that got EFAULT on `page`: no mapping there (mincore says
// ENOMEM), or one that forbids the access.
Access efault_access(const volatile void* page);

}  // namespace cow::linux_host
