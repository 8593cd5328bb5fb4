#include "impl/xv6/xv6_impl.h"

#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <tuple>

#include "impl/xv6/lab_build.h"

namespace cow::xv6 {

namespace fs = std::filesystem;

namespace {

// The kernel's last words, left by the adapter's panic() beside the
// library; read once.
std::string take_panic_message(const fs::path& library) {
  fs::path file = library.parent_path() / "panic.txt";
  std::ifstream in(file, std::ios::binary);
  if (!in) return {};
  std::ostringstream text;
  text << in.rdbuf();
  in.close();
  std::error_code ec;
  fs::remove(file, ec);
  return text.str();
}

std::mutex labs_lock;

// The lab at `root` as read once per process: the findings printed first
// and every build for a machine size come from the same reading.
const Lab& read_lab(const std::string& root, const LabOptions& options) {
  static std::map<std::tuple<std::string, std::string, std::string>, Lab> read;
  auto key = std::make_tuple(root, options.cow_bit, options.refcount);
  auto it = read.find(key);
  if (it == read.end()) it = read.emplace(key, find_lab(root, options)).first;
  return it->second;
}

}  // namespace

fs::path lab_library(const std::string& root, const Config& config, const LabOptions& options) {
  static std::map<std::tuple<std::string, std::uint32_t, std::string, std::string>, fs::path> built;
  std::uint32_t pool = pool_pages(config.frames, config.procs);
  auto key = std::make_tuple(root, pool, options.cow_bit, options.refcount);
  std::lock_guard<std::mutex> guard(labs_lock);
  auto it = built.find(key);
  if (it != built.end()) return it->second;
  fs::path library = build_lab(read_lab(root, options), pool);
  built.emplace(key, library);
  return library;
}

std::vector<std::string> lab_findings(const std::string& root, const LabOptions& options) {
  std::lock_guard<std::mutex> guard(labs_lock);
  return read_lab(root, options).found;
}

Xv6Implementation::Xv6Implementation(const std::string& root, const Config& config,
                                     const plugin::WorkerLimits& limits, const LabOptions& options)
    : library_(lab_library(root, config, options)) {
  take_panic_message(library_);  // one left by a run of another cowcheck
  try {
    plugin_ = std::make_unique<plugin::PluginImplementation>(library_.string(), config, limits);
  } catch (const ImplementationStopped& stop) {
    rethrow_with_panic(stop);
  }
}

Outcome Xv6Implementation::apply(const Op& op) {
  try {
    return plugin_->apply(op);
  } catch (const ImplementationStopped& stop) {
    rethrow_with_panic(stop);
  }
}

std::optional<Snapshot> Xv6Implementation::snapshot() const {
  try {
    return plugin_->snapshot();
  } catch (const ImplementationStopped& stop) {
    rethrow_with_panic(stop);
  }
}

void Xv6Implementation::rethrow_with_panic(const ImplementationStopped& stop) const {
  std::string message = take_panic_message(library_);
  if (message.empty() || stop.kind() != ImplementationStopped::Kind::Crash) throw stop;
  throw ImplementationStopped(stop.kind(),
                              "the kernel panicked: \"" + message + "\" (" + stop.what() + ")");
}

}  // namespace cow::xv6
