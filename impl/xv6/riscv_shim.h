// riscv.h for the host: every inline-assembly statement becomes a call to
// the adapter's shims (impl/xv6/adapter/xv6_shims.c), which keep the CSRs
// the lab reads (scause, stval, sstatus, ...) as variables. Nothing else in
// the header changes.
#pragma once

#include <string>
#include <string_view>

namespace cow::xv6 {

// `text` with each `asm volatile("csrr %0, scause" : "=r" (x));` rewritten
// to `x = xv6_asm_read("csrr %0, scause");` (inputs to xv6_asm_write, no
// operands to xv6_asm), and the shims' declarations put first. Throws
// LabError naming `file` and the line of a statement it cannot read.
std::string shim_inline_assembly(std::string_view text, std::string_view file);

// The line of the first inline-assembly statement in `text`, or 0: a .c
// file compiled unchanged cannot hold any.
int first_inline_assembly(std::string_view text);

}  // namespace cow::xv6
