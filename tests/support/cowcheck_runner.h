// What the tests that run the cowcheck binary share: a folder of the test's
// own, cowcheck run in it as a user would run it from a shell, and the
// files it leaves there.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace cow::test {

// A file's bytes ("" when it cannot be read).
std::string slurp(const std::filesystem::path& path);

// std::system's answer as a shell reports it: the exit status, 128 + the
// signal that ended the command, or -1.
int shell_status(int raw);

struct CommandResult {
  int status = -1;  // as shell_status
  // A shell reports a child killed by a signal as 128 + the signal.
  bool signalled = false;
  std::string out;
  std::string err;  // "" when stderr went elsewhere
};

struct RunOptions {
  // Where stderr goes, from the folder: a file read back, or somewhere like /dev/full.
  std::string err = "err.txt";
  std::string env;          // "NAME='value' ...": set for this command only
  int timeout_seconds = 0;  // 0: none; else timeout(1) stops it
};

// Runs "cowcheck ARGS" (the build's binary; ARGS split as a shell splits
// them) from `dir`, its stdout to dir/out.txt and stderr as `how` says.
CommandResult run_cowcheck(const std::filesystem::path& dir, const std::string& args,
                           const RunOptions& how = {});

// A fixture for tests that run cowcheck: each test runs in a fresh folder
// named after it (and this process, so that builds testing at once never
// share one), removed afterwards.
class CowcheckTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  CommandResult cowcheck(const std::string& args, const RunOptions& how = {}) {
    return run_cowcheck(dir_, args, how);
  }
  // Writes `text` to dir_/name (creating its folders) and returns the path.
  std::filesystem::path write(const std::filesystem::path& name, const std::string& text);

  std::filesystem::path dir_;
};

}  // namespace cow::test
