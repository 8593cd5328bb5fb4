// Helpers shared by the tests of impl/linux: apply ops in a row, skip what
// needs PFNs where pagemap shows none, and prove no process is left.
#pragma once

#include <sys/wait.h>

#include <cerrno>
#include <vector>

#include <gtest/gtest.h>

#include "impl/linux/linux_cow.h"

namespace cow::linux_host {

inline std::vector<Outcome> apply_all(Implementation& impl, const std::vector<Op>& ops) {
  std::vector<Outcome> out;
  for (const Op& op : ops) out.push_back(impl.apply(op));
  return out;
}

// Whether this host shows PFNs in /proc/self/pagemap (root), asked once.
inline bool host_reads_pfns() {
  static const bool yes = LinuxCow(Config{}).reads_pfns();
  return yes;
}

// Every server is a child of the oracle (CLONE_PARENT): none left to wait
// for, not even a zombie, means none is left at all.
inline bool no_child_left() {
  errno = 0;
  return ::waitpid(-1, nullptr, WNOHANG) == -1 && errno == ECHILD;
}

}  // namespace cow::linux_host

#define COWCHECK_SKIP_WITHOUT_PFNS()                                                     \
  do {                                                                                   \
    if (!::cow::linux_host::host_reads_pfns())                                           \
      GTEST_SKIP() << "/proc/self/pagemap shows no PFNs here (not root): outcomes only"; \
  } while (0)
