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
  }
  return "?";
}

std::string_view fault_name(Fault f) {
  switch (f) {
    case Fault::None: return "none";
    case Fault::CowCopy: return "cow-copy";
    case Fault::CowReuse: return "cow-reuse";
  }
  return "?";
}

std::string to_string(const Outcome& o) {
  std::string text(status_name(o.status));
  if (o.child != 0) text += fmt::format(" child={}", o.child);
  if (o.value != 0) text += fmt::format(" value={}", o.value);
  if (o.fault != Fault::None) text += fmt::format(" {}", fault_name(o.fault));
  return text;
}

}  // namespace cow
