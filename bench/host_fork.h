// The host kernel's fork() of a process that has touched `bytes` of
// anonymous memory in 4 KiB pages: the cost every other fork is held to.
#pragma once

#include <cstddef>
#include <cstdint>

namespace cow::bench {

struct HostForkCost {
  std::uint64_t pages = 0;
  double fork_ns = 0;           // the parent's fork() call
  double fork_wait_ns = 0;      // fork(), the child's _exit(0) and the parent's waitpid()
  bool huge_pages_off = false;  // madvise(MADV_NOHUGEPAGE) took: the pages really are 4 KiB
};

HostForkCost measure_host_fork(std::size_t bytes, int repetitions);

}  // namespace cow::bench
