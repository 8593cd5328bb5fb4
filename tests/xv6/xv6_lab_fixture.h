// The fixture of the xv6 lab tests: a copy of tests/xv6/lab, with a variant
// (variants/NAME.sed) applied when one is named, and cowcheck run with its
// build cache inside the test's folder.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/support/cowcheck_runner.h"

namespace cow::test {

inline const std::filesystem::path kSource = COWCHECK_SOURCE_DIR;

class Xv6Lab : public CowcheckTest {
 protected:
  // A copy of tests/xv6/lab, with variants/NAME.sed applied to its .c files
  // when a variant is named.
  std::filesystem::path lab(const std::string& variant = "") {
    std::filesystem::path copy = dir_ / "lab";
    std::filesystem::remove_all(copy);
    std::filesystem::copy(kSource / "tests/xv6/lab", copy,
                          std::filesystem::copy_options::recursive);
    if (!variant.empty()) {
      std::string script = (kSource / "tests/xv6/variants" / (variant + ".sed")).string();
      for (const char* file : {"kalloc.c", "vm.c", "trap.c"}) {
        std::string command =
            "sed -i -f '" + script + "' '" + (copy / "kernel" / file).string() + "'";
        EXPECT_EQ(std::system(command.c_str()), 0) << command;
      }
      EXPECT_NE(slurp(copy / "kernel/vm.c") + slurp(copy / "kernel/kalloc.c"),
                slurp(kSource / "tests/xv6/lab/kernel/vm.c") +
                    slurp(kSource / "tests/xv6/lab/kernel/kalloc.c"))
          << variant << " changed nothing";
    }
    return copy;
  }

  // cowcheck with its build cache inside the test's folder.
  CommandResult xv6(const std::string& args) {
    return cowcheck(args, {.env = "COWCHECK_CACHE_DIR='" + (dir_ / "cache").string() + "' "});
  }
};

}  // namespace cow::test
