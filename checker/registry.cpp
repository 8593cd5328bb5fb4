#include "checker/registry.h"

#include "model/cow_model.h"
#include "model/mutants/mutants.h"

namespace cow {

namespace {

constexpr std::string_view kMutantPrefix = "mutant:";

}  // namespace

const std::vector<ImplInfo>& implementations() {
  static const std::vector<ImplInfo> all = [] {
    std::vector<ImplInfo> list;
    list.push_back({"model", "the reference model: textbook COW fork", false});
    for (const model::MutantInfo& m : model::builtin_mutants())
      list.push_back({std::string(kMutantPrefix) + std::string(m.name), std::string(m.bug), true});
    return list;
  }();
  return all;
}

std::unique_ptr<Implementation> make_implementation(std::string_view name, const Config& config) {
  if (name == "model") return std::make_unique<model::CowModel>(config);
  if (name.starts_with(kMutantPrefix)) {
    std::string_view bug = name.substr(kMutantPrefix.size());
    for (const model::MutantInfo& m : model::builtin_mutants())
      if (m.name == bug) return m.make(config);
  }
  return nullptr;
}

bool known_implementation(std::string_view name) {
  for (const ImplInfo& info : implementations())
    if (info.name == name) return true;
  return false;
}

std::vector<std::string> expand_impl_names(const std::vector<std::string>& patterns) {
  std::vector<std::string> names;
  for (const std::string& pattern : patterns) {
    if (!pattern.ends_with('*')) {
      names.push_back(pattern);
      continue;
    }
    std::string_view prefix(pattern.data(), pattern.size() - 1);
    std::size_t before = names.size();
    for (const ImplInfo& info : implementations())
      if (std::string_view(info.name).starts_with(prefix)) names.push_back(info.name);
    if (names.size() == before) names.push_back(pattern);
  }
  return names;
}

}  // namespace cow
