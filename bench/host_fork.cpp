#include "bench/host_fork.h"

#include <cstdio>
#include <stdexcept>
#include <vector>

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/measure.h"

namespace cow::bench {

HostForkCost measure_host_fork(std::size_t bytes, int repetitions) {
  constexpr std::size_t kPage = 4096;
  void* region = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED) throw std::runtime_error("host fork: cannot map the region");
  HostForkCost cost;
  cost.pages = bytes / kPage;
  // Transparent huge pages would let the kernel copy one entry per 2 MiB;
  // the comparison is with 4 KiB pages, as the fast implementation uses.
  cost.huge_pages_off = ::madvise(region, bytes, MADV_NOHUGEPAGE) == 0;
  auto* bytes_of = static_cast<volatile char*>(region);
  for (std::size_t off = 0; off < bytes; off += kPage) bytes_of[off] = 1;

  std::vector<double> fork_only, fork_wait;
  for (int i = 0; i < repetitions; ++i) {
    Clock::time_point start = Clock::now();
    pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    double forked = ns_since(start);
    if (pid < 0) {
      ::munmap(region, bytes);
      throw std::runtime_error("host fork: fork() failed");
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    fork_only.push_back(forked);
    fork_wait.push_back(ns_since(start));
  }
  ::munmap(region, bytes);
  cost.fork_ns = median(fork_only);
  cost.fork_wait_ns = median(fork_wait);
  return cost;
}

}  // namespace cow::bench
