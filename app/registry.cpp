#include "app/registry.h"

#include <algorithm>
#include <filesystem>
#include <utility>

#include "app/linux_check.h"
#include "impl/fast/fast.h"
#include "impl/fast/mt/fast_mt.h"
#include "impl/plugin/plugin_impl.h"
#include "impl/xv6/xv6_impl.h"
#include "model/cow_model.h"
#include "model/mutants/mutants.h"

namespace cow {

namespace {

// Set once from the command line, before any plug-in starts.
plugin::WorkerLimits plugin_limits;
xv6::LabOptions lab_options;

constexpr std::string_view kMutantPrefix = "mutant:";
constexpr std::string_view kPluginPrefix = "plugin:";
constexpr std::string_view kZooPrefix = "zoo:";
constexpr std::string_view kXv6Prefix = "xv6:";

// The plug-in zoo is built beside the worker: build/plugins/libcowzoo-NAME.so.
std::filesystem::path plugin_dir() {
  return std::filesystem::path(plugin::default_worker_path()).parent_path() / "plugins";
}

std::string zoo_library(std::string_view name) {
  return (plugin_dir() / ("libcowzoo-" + std::string(name) + ".so")).string();
}

std::vector<std::string> zoo_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(plugin_dir(), ec)) {
    std::string file = entry.path().filename().string();
    if (file.starts_with("libcowzoo-") && file.ends_with(".so"))
      names.push_back(file.substr(10, file.size() - 13));
  }
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

const std::vector<ImplInfo>& implementations() {
  static const std::vector<ImplInfo> all = [] {
    std::vector<ImplInfo> list;
    list.push_back({"model", "the reference model: textbook COW fork", false});
    list.push_back({"linux",
                    "the live host kernel: real fork()ed processes; write faults read from "
                    "/proc/self/pagemap (root) and compared with the model",
                    false});
    list.push_back({"linux:thp",
                    "the live host kernel with pid 1's pages in one PMD-mapped transparent huge "
                    "page (MADV_HUGEPAGE), compared with the model per 4 KiB page",
                    false});
    for (const model::MutantInfo& m : model::builtin_mutants())
      list.push_back({std::string(kMutantPrefix) + std::string(m.name), std::string(m.bug), true});
    for (const fast::FastVariant& v : fast::fast_variants())
      list.push_back({std::string(v.name), std::string(v.description), v.is_mutant});
    for (const fast::MtVariant& v : fast::mt_variants())
      list.push_back({std::string(v.name), std::string(v.description), v.is_mutant});
    for (const std::string& name : zoo_names())
      list.push_back(
          {std::string(kZooPrefix) + name, "plug-in mutant from the zoo (tests/mutants)", true});
    return list;
  }();
  return all;
}

std::unique_ptr<Implementation> make_implementation(std::string_view name, const Config& config) {
  if (name == "model") return std::make_unique<model::CowModel>(config);
  if (name == "linux") return std::make_unique<LinuxChecked>(config);
  if (name == "linux:thp")
    return std::make_unique<LinuxChecked>(config, linux_host::LinuxOptions{.thp = true});
  if (name.starts_with(kPluginPrefix))
    return std::make_unique<plugin::PluginImplementation>(
        std::string(name.substr(kPluginPrefix.size())), config, plugin_limits);
  if (name.starts_with(kZooPrefix))
    return std::make_unique<plugin::PluginImplementation>(
        zoo_library(name.substr(kZooPrefix.size())), config, plugin_limits);
  if (name.starts_with(kXv6Prefix))
    return std::make_unique<xv6::Xv6Implementation>(std::string(name.substr(kXv6Prefix.size())),
                                                    config, plugin_limits, lab_options);
  if (name.starts_with(kMutantPrefix)) {
    std::string_view bug = name.substr(kMutantPrefix.size());
    for (const model::MutantInfo& m : model::builtin_mutants())
      if (m.name == bug) return m.make(config);
  }
  for (const fast::FastVariant& v : fast::fast_variants())
    if (v.name == name) return fast::make_fast(config, v.options);
  for (const fast::MtVariant& v : fast::mt_variants())
    if (v.name == name) return fast::make_fast_mt(config, v.mutation);
  return nullptr;
}

ImplFactory implementation_factory(std::string name, const Config& config) {
  return [name = std::move(name), config] { return make_implementation(name, config); };
}

bool known_implementation(std::string_view name) {
  if (name.starts_with(kPluginPrefix)) return name.size() > kPluginPrefix.size();
  if (name.starts_with(kXv6Prefix)) return name.size() > kXv6Prefix.size();
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

void set_plugin_limits(std::chrono::milliseconds op_timeout, std::size_t memory_bytes) {
  plugin_limits.op_timeout = op_timeout;
  plugin_limits.memory_bytes = memory_bytes;
}

void set_lab_options(const xv6::LabOptions& options) { lab_options = options; }

std::string implementation_error(std::string_view name, const Config& config) {
  if (!known_implementation(name))
    return "unknown implementation '" + std::string(name) + "' (cowcheck impls lists them)";
  try {
    make_implementation(name, config);
  } catch (const plugin::PluginLoadError& e) {
    return e.what();
  } catch (const linux_host::HostUnsupported& e) {
    return e.what();
  } catch (const std::exception&) {
    // It loads but dies on creation: a finding for the engine, not bad input.
  }
  return "";
}

}  // namespace cow
