#include "app/linux_check.h"

#include <algorithm>
#include <cstdio>
#include <mutex>

#include <fmt/format.h>

namespace cow {

namespace {

// The host never runs out of memory, so neither may the model beside it:
// each live process holds at most `pages` private frames, the file and the
// shared objects as many again, and pins keep frames past their process
// (the spare 1024). Past the largest machine config_error() allows, the
// model may still run out; it then drops out and faults go uncompared.
Config model_config(Config config) {
  std::uint64_t enough = std::uint64_t{config.pages} * config.procs * 2 + config.pages + 1024;
  config.frames = static_cast<std::uint32_t>(
      std::min(std::max<std::uint64_t>(enough, config.frames), std::uint64_t{1} << 20));
  return config;
}

std::string fault_difference(const Op& op, Fault host, Fault model) {
  if (host == Fault::CowCopy && model == Fault::CowReuse)
    return "the host copied where the model reuses: in the model the writer maps the page alone";
  if (host == Fault::CowReuse && model == Fault::CowCopy)
    return "the host reused where the model copies: in the model the page is still shared";
  return fmt::format("the host served the {} as {}, the model as {}", op_kind_name(op.kind),
                     fault_name(host), fault_name(model));
}

// Whether a page was brought in is no COW decision, and the host brings
// pages in on its own schedule: fork copies no PTE of a mapping without
// anonymous pages, so the child pages in where the model's fork copied the
// PTE; a read fault maps the page-cache pages around it (fault-around), so
// the host finds present what the model pages in. docs/linux.md, "Where
// the host maps more or less than the model".
Fault cow_decision(Fault f) { return f == Fault::PageIn ? Fault::None : f; }

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
  // Every access the host reports a fault for: write, read, copyout, pin.
  bool compare = host_.reads_pfns() && model_in_step_ && op_touches_page(op.kind);
  Outcome got = host_.apply(op);
  Outcome want = model_.apply(op);
  if (want.status == Status::OutOfMemory) model_in_step_ = false;
  if (compare && got.status == Status::Ok && want.status == Status::Ok &&
      cow_decision(got.fault) != cow_decision(want.fault))
    finding_ = Violation{InvariantId::REUSE, op.pid, op.vpn, kNoFrame,
                         fault_difference(op, got.fault, want.fault)};
  return got;
}

}  // namespace cow
