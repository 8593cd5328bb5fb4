// What an operation returned: its status, the child pid of a fork, the value
// of a read, and how a write fault was served.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "spec/types.h"

namespace cow {

enum class Status : std::uint8_t {
  Ok,
  NoSuchProcess,  // the pid is not live
  BadAddress,     // the vpn is outside the address space
  ProtFault,      // a write to a page that may never be written
  OutOfMemory,    // no free frame to serve the fault; nothing changed
  ProcLimit,      // fork with Config::procs processes already live
};

// How the write that caused a fault was served. Reads and non-faulting
// writes report None.
enum class Fault : std::uint8_t { None, CowCopy, CowReuse };

struct Outcome {
  Status status = Status::Ok;
  Fault fault = Fault::None;
  Pid child = 0;    // fork only
  Value value = 0;  // read only

  static Outcome ok() { return {}; }
  static Outcome error(Status s) { return {s, Fault::None, 0, 0}; }
  static Outcome forked(Pid child) { return {Status::Ok, Fault::None, child, 0}; }
  static Outcome read(Value v) { return {Status::Ok, Fault::None, 0, v}; }
  static Outcome wrote(Fault f) { return {Status::Ok, f, 0, 0}; }

  friend bool operator==(const Outcome&, const Outcome&) = default;
};

std::string_view status_name(Status s);
std::string_view fault_name(Fault f);

// "ok", "ok child=3", "ok value=7", "ok cow-copy", "no-such-process", ...
std::string to_string(const Outcome& outcome);

}  // namespace cow
