// The layers' one-way dependencies (docs/architecture.md), checked on the
// source: every quoted #include of a production file lands in a layer its
// own layer may use, and no chain of includes comes back to where it
// started.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace {

namespace fs = std::filesystem;

struct Layer {
  std::string_view dir;                   // a file's layer: the longest dir that prefixes its path
  std::vector<std::string_view> may_use;  // path prefixes its includes may start with
};

// Longest prefix wins, so model/mutants/ is its own layer inside model/.
const std::vector<Layer> kLayers = {
    {"spec/", {"spec/"}},
    {"model/", {"spec/", "model/"}},
    {"model/mutants/", {"spec/", "model/"}},
    {"impl/fast/", {"spec/", "impl/fast/"}},
    {"impl/plugin/", {"spec/", "impl/plugin/", "cowcheck/"}},
    {"impl/linux/", {"spec/", "impl/linux/"}},
    // An xv6 lab is built into a plug-in and run by the plug-in host.
    {"impl/xv6/", {"spec/", "impl/xv6/", "impl/plugin/"}},
    // The adapter's C files are compiled beside a lab, with its headers and
    // the ABI's, copied into one folder: they include them by bare name.
    {"impl/xv6/adapter/",
     {"cow_abi.h", "xv6_adapter.h", "xv6_lab.h", "types.h", "param.h", "memlayout.h", "riscv.h",
      "spinlock.h", "proc.h", "defs.h"}},
    // Engines run any implementation through spec/implementation.h and the
    // reference model beside it; they name mutants by the header-only table.
    // The race engine interleaves the model's steps (model/stepped/).
    {"checker/",
     {"spec/", "checker/", "model/cow_model.h", "model/mutants/mutant_table.h",
      "model/stepped/stepped_model.h"}},
    {"include/", {}},
    {"app/", {"spec/", "model/", "impl/", "checker/", "app/", "cowcheck/"}},
    // The zoo's build of the example kernel (tests/mutants) adds its hooks.
    {"examples/", {"cowcheck/", "kernel.h", "zoo_bug.h"}},
};

const fs::path kRoot = COWCHECK_SOURCE_DIR;

const Layer* layer_of(const std::string& path) {
  const Layer* best = nullptr;
  for (const Layer& layer : kLayers)
    if (path.starts_with(layer.dir) && (!best || layer.dir.size() > best->dir.size()))
      best = &layer;
  return best;
}

// Every production source file, as a path relative to the root.
std::vector<std::string> production_files() {
  std::vector<std::string> files;
  for (const Layer& layer : kLayers) {
    fs::path dir = kRoot / layer.dir;
    if (!fs::exists(dir)) continue;
    // Other tests may make and remove files while this one reads the tree:
    // an entry that vanishes is skipped, not an error.
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(dir, error);
         !error && it != fs::recursive_directory_iterator(); it.increment(error)) {
      const fs::directory_entry& entry = *it;
      std::string ext = entry.path().extension().string();
      if (ext != ".h" && ext != ".cpp" && ext != ".c") continue;
      std::string rel = fs::relative(entry.path(), kRoot).generic_string();
      if (layer_of(rel) == &layer) files.push_back(rel);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::vector<std::string> quoted_includes(const std::string& file) {
  static const std::regex include(R"(^\s*#\s*include\s*"([^"]+)\")");
  std::ifstream in(kRoot / file);
  std::vector<std::string> found;
  std::smatch m;
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, m, include)) found.push_back(m[1]);
  return found;
}

// The file an include names: from the root, else beside the includer.
std::string resolve(const std::string& includer, const std::string& name) {
  if (fs::exists(kRoot / name)) return name;
  fs::path beside = fs::path(includer).parent_path() / name;
  if (fs::exists(kRoot / beside)) return beside.lexically_normal().generic_string();
  return name;
}

TEST(Layers, EveryIncludeGoesWhereItsLayerMay) {
  std::vector<std::string> files = production_files();
  ASSERT_GT(files.size(), 100u) << "the tree was not found at " << kRoot;
  for (const std::string& file : files) {
    const Layer* layer = layer_of(file);
    for (const std::string& name : quoted_includes(file)) {
      std::string target = resolve(file, name);
      bool allowed = std::any_of(
          layer->may_use.begin(), layer->may_use.end(),
          [&](std::string_view p) { return target.starts_with(p) || name.starts_with(p); });
      EXPECT_TRUE(allowed) << file << " (layer " << layer->dir << ") includes " << name;
    }
  }
}

TEST(Layers, NoIncludeCycle) {
  std::map<std::string, std::vector<std::string>> graph;
  for (const std::string& file : production_files())
    for (const std::string& name : quoted_includes(file))
      graph[file].push_back(resolve(file, name));
  // Depth-first search; a file met again while still on the path closes a cycle.
  enum class Mark { New, OnPath, Done };
  std::map<std::string, Mark> mark;
  std::vector<std::string> path;
  std::function<void(const std::string&)> visit = [&](const std::string& file) {
    mark[file] = Mark::OnPath;
    path.push_back(file);
    for (const std::string& next : graph[file]) {
      if (mark[next] == Mark::OnPath) {
        std::string cycle;
        for (auto it = std::find(path.begin(), path.end(), next); it != path.end(); ++it)
          cycle += *it + " -> ";
        ADD_FAILURE() << "include cycle: " << cycle << next;
      } else if (mark[next] == Mark::New) {
        visit(next);
      }
    }
    path.pop_back();
    mark[file] = Mark::Done;
  };
  for (const auto& [file, includes] : graph)
    if (mark[file] == Mark::New) visit(file);
}

}  // namespace
