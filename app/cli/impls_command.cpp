#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/cli/commands.h"
#include "app/registry.h"

namespace cow::cli {

Command add_impls(CLI::App& app) {
  auto json = std::make_shared<bool>(false);
  auto verbose = std::make_shared<bool>(false);
  app.add_flag("--json", *json, "print a JSON array");
  app.add_flag("-v,--verbose", *verbose, "print what each one is");
  return [json, verbose] {
    if (*json) {
      nlohmann::json list = nlohmann::json::array();
      for (const ImplInfo& info : implementations())
        list.push_back(
            {{"name", info.name}, {"description", info.description}, {"mutant", info.is_mutant}});
      fmt::print("{}\n", list.dump(2));
      return kExitOk;
    }
    for (const ImplInfo& info : implementations()) {
      if (*verbose)
        fmt::print("{:<28} {}\n", info.name, info.description);
      else
        fmt::print("{}\n", info.name);
    }
    return kExitOk;
  };
}

}  // namespace cow::cli
