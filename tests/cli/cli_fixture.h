// What every test of the command line begins with: cowcheck run in a folder
// of the test's own (tests/support/cowcheck_runner.h), and the few names
// each of them uses, said once.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "tests/support/cowcheck_runner.h"

namespace cow::test::cli {

namespace fs = std::filesystem;

using Result = CommandResult;
using test::slurp;

// A test of one command as a user meets it: a fresh folder, cowcheck run in
// it, and the files it leaves there.
class CliTest : public CowcheckTest {
 protected:
  // Runs "cowcheck ARGS" twice, with --out a and --out b: `file` must be
  // written both times, byte for byte the same (the same seed, the same file).
  void expect_the_same_file_twice(const std::string& args, const std::string& file) {
    cowcheck(args + " --out a");
    cowcheck(args + " --out b");
    std::string first = slurp(dir_ / "a" / file);
    EXPECT_FALSE(first.empty()) << file;
    EXPECT_EQ(first, slurp(dir_ / "b" / file)) << file;
  }
};

}  // namespace cow::test::cli
