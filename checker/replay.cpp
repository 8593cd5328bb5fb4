#include "checker/replay.h"

#include <utility>

#include "checker/diff_engine.h"
#include "checker/registry.h"

namespace cow {

std::optional<Trace> replay_cow(const CowFile& file, const std::string& impl, bool keep_snapshots) {
  std::unique_ptr<Implementation> instance = make_implementation(impl, file.config);
  if (!instance) return std::nullopt;
  // A DIFF file was found by the differential engine: it replays as one,
  // the model beside `impl` in lock step (so on `model` it must pass).
  if (file.invariant == InvariantId::DIFF) {
    const Config& config = file.config;
    return trace_diff([&config] { return make_implementation("model", config); },
                      [&] { return std::exchange(instance, nullptr); }, config, file.ops,
                      keep_snapshots);
  }
  return trace_ops(std::move(instance), file.config, file.ops, keep_snapshots);
}

}  // namespace cow
