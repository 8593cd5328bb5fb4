// A server is one process of the op sequence made real: it maps the pages,
// serves requests on its socket until told to exit, and forks, vforks and
// execs for real. Everything on the server side runs in forked processes
// (or in a vfork child sharing its parent's memory): async-signal-safe calls
// only, no allocation, no exceptions.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace cow::linux_host {

// Trivially copyable: an exec'ing server hands it to its new image through
// a pipe (server_exec.cpp).
struct ServerSetup {
  pid_t oracle = 0;  // every server's parent (see server_fork in server.cpp)
  std::uint32_t pages = 0;
  std::uint32_t words = 0;
  // Live tasks at most: every vfork child and thread in one address space
  // runs on a stack of its own there.
  std::uint32_t procs = 0;
  bool read_pfns = true;  // open /proc/self/pagemap
  int cpu = -1;           // run on this CPU only; -1: anywhere
  // The first server's pages are one PMD-mapped transparent huge page
  // (server_space.cpp, map_first_thp); every later mapping is 4 KiB pages.
  bool thp = false;
};

// What the oracle hands the first server; every server keeps them at fixed
// numbers (server_state.h), and an exec'd image inherits them.
struct ServerFiles {
  int channel = -1;  // its end of the socket to the oracle
  int file = -1;     // the file that file mappings map (impl/linux/backing_file.h)
  int exe = -1;      // the oracle's executable, which exec runs; -1: no exec
  int ring = -1;     // the run's pins (impl/linux/pin_ring.h); -1: no pins
  int clock = -1;    // the race clock (impl/linux/race_clock.h); -1: none
};

// Forks the first server (pid 1 of the op sequence), which answers on
// `files.channel` with a Hello once its pages are mapped and touched.
// Returns its host pid, or -1 with errno set. The caller closes its copies.
pid_t server_spawn_first(const ServerSetup& setup, const ServerFiles& files);

}  // namespace cow::linux_host
