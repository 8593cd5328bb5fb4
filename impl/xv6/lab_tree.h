// An xv6-riscv copy-on-write lab's source tree, as cowcheck finds it: the
// files it compiles for the host, and what it learned about this lab (the
// COW bit's name, the lab's refcount accessor, uvmunmap's units).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "impl/plugin/worker_process.h"

namespace cow::xv6 {

// The tree cannot be checked as it is (a missing file, no COW bit, inline
// assembly in a .c file, a compiler error): bad input, not a finding, and
// reported as a plug-in that cannot be used.
class LabError : public plugin::PluginLoadError {
 public:
  using plugin::PluginLoadError::PluginLoadError;
};

// What the user told cowcheck instead of letting it look (docs/xv6.md).
struct LabOptions {
  std::string cow_bit;   // a macro name or a bit number; empty: find it
  std::string refcount;  // a function of a physical address; "none"; empty: find it
};

struct Lab {
  std::filesystem::path kernel;              // the lab's kernel/ folder
  std::vector<std::filesystem::path> files;  // every header, then kalloc.c, vm.c, trap.c
  std::string cow_bit;                       // a C expression: the COW bit's mask
  std::string refcount;                      // a C expression of `pa`, or empty
  std::string refcount_declaration;          // its prototype, for the glue
  bool uvmunmap_takes_bytes = false;         // the fall 2019 uvmunmap(pt, va, size, do_free)
  std::vector<std::string> found;            // what it found, where, for the user
};

inline constexpr const char* kLabSources[] = {"kalloc.c", "vm.c", "trap.c"};

// A file of the lab, whole; LabError when it cannot be read.
std::string read_lab_file(const std::filesystem::path& path);

// Reads the lab at `root` (the repository, or its kernel/ folder). Throws
// LabError naming what is missing and the flag that supplies it.
Lab find_lab(const std::filesystem::path& root, const LabOptions& options);

}  // namespace cow::xv6
