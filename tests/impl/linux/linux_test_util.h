// Helpers shared by the tests of impl/linux: apply ops in a row, skip what
// needs PFNs where pagemap shows none, and prove no process is left.
#pragma once

#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "app/replay_by_name.h"
#include "checker/cow_file.h"
#include "impl/linux/linux_cow.h"

namespace cow::linux_host {

inline std::vector<Outcome> apply_all(Implementation& impl, const std::vector<Op>& ops) {
  std::vector<Outcome> out;
  for (const Op& op : ops) out.push_back(impl.apply(op));
  return out;
}

// The default machine with room for `procs` live processes at most.
inline Config with_procs(std::uint32_t procs) {
  Config config;
  config.procs = procs;
  return config;
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

// For the tests of a server that stops answering: a host that waits 200 ms
// for each answer, `ops` applied, then `pid`'s server stopped by SIGSTOP,
// so that the next request to it is never answered.
inline std::unique_ptr<LinuxCow> host_with_a_stopped_server(const std::vector<Op>& ops,
                                                            Pid pid = kInitPid) {
  LinuxOptions options;
  options.reply_timeout = std::chrono::milliseconds(200);
  auto host = std::make_unique<LinuxCow>(Config{}, options);
  apply_all(*host, ops);
  std::optional<pid_t> server = host->host_pid(pid);
  EXPECT_TRUE(server && ::kill(*server, SIGSTOP) == 0) << "pid " << pid;
  return host;
}

// Replays every .cow file of `folder` (below the source tree) on the
// implementation each names, which must be `impl`: each passes. Returns how
// many there were.
inline int replay_documented_scenarios(const std::string& folder, const std::string& impl) {
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(COWCHECK_SOURCE_DIR) / folder)) {
    if (entry.path().extension() != ".cow") continue;
    ++files;
    CowFile file = read_cow(entry.path());
    EXPECT_EQ(file.impl, impl) << entry.path();
    std::optional<Trace> trace = replay_cow(file, file.impl, false);
    EXPECT_TRUE(trace) << entry.path();
    if (trace && trace->violation)
      ADD_FAILURE() << entry.path() << ": " << to_string(*trace->violation);
  }
  return files;
}

}  // namespace cow::linux_host

#define COWCHECK_SKIP_WITHOUT_PFNS()                                                     \
  do {                                                                                   \
    if (!::cow::linux_host::host_reads_pfns())                                           \
      GTEST_SKIP() << "/proc/self/pagemap shows no PFNs here (not root): outcomes only"; \
  } while (0)
