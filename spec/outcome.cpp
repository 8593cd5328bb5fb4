#include "spec/outcome.h"

#include <fmt/format.h>

namespace cow {

std::string_view status_name(Status s) {
  switch (s) {
    case Status::Ok: return "ok";
    case Status::NoSuchProcess: return "no-such-process";
    case Status::BadAddress: return "bad-address";
    case Status::ProtFault: return "protection-fault";
    case Status::OutOfMemory: return "out-of-memory";
    case Status::ProcLimit: return "process-limit";
    case Status::Suspended: return "suspended";
    case Status::Killed: return "killed";
    case Status::Busy: return "busy";
    case Status::NoSuchPin: return "no-such-pin";
  }
  return "?";
}

std::string_view fault_name(Fault f) {
  switch (f) {
    case Fault::None: return "none";
    case Fault::CowCopy: return "cow-copy";
    case Fault::CowReuse: return "cow-reuse";
    case Fault::ZeroFill: return "zero-fill";
    case Fault::SwapIn: return "swap-in";
    case Fault::PageIn: return "page-in";
  }
  return "?";
}

std::string to_string(const Outcome& o) {
  std::string text(status_name(o.status));
  if (o.child != 0) text += fmt::format(" child={}", o.child);
  if (o.value != 0) text += fmt::format(" value={}", o.value);
  if (o.pin != 0) text += fmt::format(" pin={}", o.pin);
  if (o.fault != Fault::None) text += fmt::format(" {}", fault_name(o.fault));
  return text;
}

}  // namespace cow
