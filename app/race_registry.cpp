#include "app/race_registry.h"

#include "model/stepped/race_mutants.h"

namespace cow {

const std::vector<ImplInfo>& stepped_models() {
  static const std::vector<ImplInfo> models = [] {
    std::vector<ImplInfo> list{
        {"model", "the reference model with its ops as steps (model/stepped/)", false}};
    for (const model::RaceMutantRow& row : model::kRaceMutants)
      list.push_back({std::string(model::kRaceMutantPrefix) + std::string(row.name),
                      std::string(row.bug), true});
    return list;
  }();
  return models;
}

SteppedFactory stepped_factory(std::string_view name, const Config& config) {
  if (name == "model") return [config] { return std::make_unique<model::SteppedModel>(config); };
  if (!name.starts_with(model::kRaceMutantPrefix)) return nullptr;
  std::optional<model::RaceMutant> id = model::race_mutant_named(name);
  if (!id) return nullptr;
  return [id = *id, config] { return model::make_race_mutant(id, config); };
}

std::vector<std::string> expand_stepped_names(const std::vector<std::string>& patterns) {
  std::vector<std::string> names;
  for (const std::string& pattern : patterns) {
    if (!pattern.ends_with('*')) {
      names.push_back(pattern);
      continue;
    }
    std::string_view prefix(pattern.data(), pattern.size() - 1);
    bool any = false;
    for (const ImplInfo& info : stepped_models())
      if (info.name.starts_with(prefix)) {
        names.push_back(info.name);
        any = true;
      }
    if (!any) names.push_back(pattern);
  }
  return names;
}

}  // namespace cow
