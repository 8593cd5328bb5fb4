// cowcheck bench: runs cowcheck-bench, built beside cowcheck from bench/,
// which measures and prints everything (docs/performance.md).
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <unistd.h>

#include "app/cli/commands.h"

namespace cow::cli {

namespace {

std::filesystem::path bench_binary() {
  std::error_code ec;
  std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "cowcheck-bench";
  return self.parent_path() / "cowcheck-bench";
}

}  // namespace

Command add_bench(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print one JSON object, a key per figure (units in the names)");
  return [json]() -> int {
    std::filesystem::path binary = bench_binary();
    if (!std::filesystem::exists(binary))
      throw UsageError(
          fmt::format("{} not found: build with -DCOWCHECK_BENCH=ON", binary.string()));
    std::string path = binary.string();
    std::vector<char*> argv{path.data()};
    std::string flag = "--json";
    if (*json) argv.push_back(flag.data());
    argv.push_back(nullptr);
    std::fflush(stdout);
    ::execv(path.c_str(), argv.data());
    throw std::runtime_error(fmt::format("cannot run {}: {}", path, std::strerror(errno)));
  };
}

}  // namespace cow::cli
