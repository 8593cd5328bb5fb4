#include "app/replay_by_name.h"

#include <memory>
#include <stdexcept>

#include "app/registry.h"
#include "impl/plugin/worker_process.h"

namespace cow {

ReplayResult replay_cow(const CowFile& file, const std::string& impl, ReplayObserver& observer) {
  std::unique_ptr<Implementation> instance;
  try {
    instance = make_implementation(impl, file.config);
  } catch (const plugin::PluginLoadError&) {
    throw;
  } catch (const std::exception& e) {
    // It loaded, then died before it answered: the constructor aborted,
    // create crashed or hung, the worker exited. That is what the file shows.
    return replay_unstarted(e, observer);
  }
  if (!instance) throw std::invalid_argument("unknown implementation '" + impl + "'");
  return replay_on(file, std::move(instance), observer);
}

std::optional<Trace> replay_cow(const CowFile& file, const std::string& impl, bool keep_snapshots) {
  if (!known_implementation(impl)) return std::nullopt;
  Trace trace;
  TraceRecorder recorder(trace, keep_snapshots);
  trace.violation = replay_cow(file, impl, recorder).violation;
  return trace;
}

}  // namespace cow
