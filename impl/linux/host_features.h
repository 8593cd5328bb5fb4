// What the host kernel offers that some ops need, asked once per question.
#pragma once

#include <string>

namespace cow::linux_host {

// `uname -r`, or "?".
std::string kernel_release();

// Whether any swap area is active (/proc/swaps lists one). Without one,
// MADV_PAGEOUT leaves anonymous and shmem pages where they are.
bool host_has_swap();

}  // namespace cow::linux_host
