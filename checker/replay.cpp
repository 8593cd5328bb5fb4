#include "checker/replay.h"

#include "checker/registry.h"

namespace cow {

std::optional<Trace> replay_cow(const CowFile& file, const std::string& impl, bool keep_snapshots) {
  std::unique_ptr<Implementation> instance = make_implementation(impl, file.config);
  if (!instance) return std::nullopt;
  return trace_ops(std::move(instance), file.config, file.ops, keep_snapshots);
}

}  // namespace cow
