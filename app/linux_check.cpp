#include "app/linux_check.h"

#include <algorithm>
#include <cstdio>
#include <mutex>

#include <fmt/format.h>

namespace cow {

namespace {

// The host never runs out of memory, so neither may the model beside it:
// each live process holds at most `pages` frames. Past the largest machine
// config_error() allows, the model may still run out; it then drops out.
Config model_config(Config config) {
  std::uint64_t enough = std::uint64_t{config.pages} * config.procs;
  config.frames = static_cast<std::uint32_t>(
      std::min(std::max<std::uint64_t>(enough, config.frames), std::uint64_t{1} << 20));
  return config;
}

std::string fault_difference(Fault host, Fault model) {
  if (host == Fault::CowCopy && model == Fault::CowReuse)
    return "the host copied where the model reuses: in the model the writer maps the page alone";
  if (host == Fault::CowReuse && model == Fault::CowCopy)
    return "the host reused where the model copies: in the model the page is still shared";
  return fmt::format("the host served the write as {}, the model as {}", fault_name(host),
                     fault_name(model));
}

// Once per run of the oracle, not per sequence: a campaign makes thousands.
void note_outcomes_only(const linux_host::LinuxCow& host) {
  static std::once_flag once;
  std::call_once(once, [&host] { fmt::print(stderr, "cowcheck: {}\n", host.describe()); });
}

}  // namespace

LinuxChecked::LinuxChecked(const Config& config, const linux_host::LinuxOptions& options)
    : host_(config, options), model_(model_config(config)) {
  if (!host_.reads_pfns()) note_outcomes_only(host_);
}

Outcome LinuxChecked::apply(const Op& op) {
  finding_.reset();
  bool compare = host_.reads_pfns() && model_in_step_ && op.kind == OpKind::Write;
  Outcome got = host_.apply(op);
  Outcome want = model_.apply(op);
  if (want.status == Status::OutOfMemory) model_in_step_ = false;
  if (compare && got.status == Status::Ok && want.status == Status::Ok && got.fault != want.fault)
    finding_ = Violation{InvariantId::REUSE, op.pid, op.vpn, kNoFrame,
                         fault_difference(got.fault, want.fault)};
  return got;
}

}  // namespace cow
