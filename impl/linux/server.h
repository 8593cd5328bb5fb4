// A server is one process of the op sequence made real: it maps the pages,
// serves requests on its socket until told to exit, and forks for real.
// Everything here runs in forked processes: async-signal-safe calls only, no
// allocation, no exceptions.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace cow::linux_host {

struct ServerSetup {
  pid_t oracle = 0;  // every server's parent (see server_fork in server.cpp)
  std::uint32_t pages = 0;
  std::uint32_t words = 0;
  bool read_pfns = true;  // open /proc/self/pagemap
  int cpu = -1;           // run on this CPU only; -1: anywhere
};

// Forks the first server (pid 1 of the op sequence), which answers on
// `channel` with a Hello once its pages are mapped and touched. Returns its
// host pid, or -1 with errno set. The caller closes its copy of `channel`.
pid_t server_spawn_first(const ServerSetup& setup, int channel);

}  // namespace cow::linux_host
