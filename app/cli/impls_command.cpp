#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "app/cli/commands.h"
#include "app/race_registry.h"
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
      for (const ImplInfo& info : stepped_models())
        if (info.is_mutant)
          list.push_back({{"name", info.name},
                          {"description", info.description},
                          {"mutant", true},
                          {"race_only", true}});
      fmt::print("{}\n", list.dump(2));
      return kExitOk;
    }
    auto show = [&](const ImplInfo& info, std::string_view note) {
      if (*verbose)
        fmt::print("{:<28} {}{}\n", info.name, note, info.description);
      else
        fmt::print("{}\n", info.name);
    };
    for (const ImplInfo& info : implementations()) show(info, "");
    // The stepped model's race mutants: only cowcheck race can run them.
    for (const ImplInfo& info : stepped_models())
      if (info.is_mutant) show(info, "(cowcheck race only) ");
    return kExitOk;
  };
}

}  // namespace cow::cli
