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
  Suspended,      // the process is stopped in vfork until its child execs or exits
  Killed,         // the OOM killer took the process (OomPolicy::Kill); it has exited
  Busy,           // swapout of a pinned frame: it stays in memory
  NoSuchPin,      // unpin of an id that is not held
};

// How the fault an op took was served; None when it took none. When one op
// takes two (a swap-in, then a COW copy), the COW decision is reported.
enum class Fault : std::uint8_t {
  None,
  CowCopy,   // a private page's shared frame was copied
  CowReuse,  // a private page's frame was kept: the writer owns it alone
  ZeroFill,  // an untouched private anon page got a fresh zeroed frame
  SwapIn,    // a swapped-out page was brought back from its slot
  PageIn,    // a file or shared page was mapped from its object
};

struct Outcome {
  Status status = Status::Ok;
  Fault fault = Fault::None;
  Pid child = 0;    // fork only
  Value value = 0;  // read and unpin only
  PinId pin = 0;    // pin only

  static Outcome ok() { return {}; }
  static Outcome error(Status s) { return {s, Fault::None, 0, 0}; }
  static Outcome forked(Pid child) { return {Status::Ok, Fault::None, child, 0}; }
  static Outcome read(Value v, Fault f = Fault::None) { return {Status::Ok, f, 0, v}; }
  static Outcome wrote(Fault f) { return {Status::Ok, f, 0, 0}; }
  static Outcome pinned(PinId id, Fault f = Fault::None) { return {Status::Ok, f, 0, 0, id}; }

  friend bool operator==(const Outcome&, const Outcome&) = default;
};

std::string_view status_name(Status s);
std::string_view fault_name(Fault f);

// "ok", "ok child=3", "ok value=7", "ok pin=1", "ok cow-copy", "no-such-process", ...
std::string to_string(const Outcome& outcome);

}  // namespace cow
