// The request/response protocol between the oracle and each server process:
// fixed-size records, one per SOCK_SEQPACKET message, so a message is never
// split or merged and a reader never parses.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace cow::linux_host {

enum class Request : std::uint32_t {
  Write,  // store `value` into word `word` of page `vpn`
  Read,   // load word `word` of page `vpn`
  Fork,   // fork; the message carries the child's end of a new socket
  Exit,   // _exit(0) without a reply: the oracle sees the socket close
  Pin,    // vmsplice page `vpn` into a new pipe; the reply carries its read end
};

struct RequestMsg {
  Request kind = Request::Read;
  std::uint32_t vpn = 0;
  std::uint32_t word = 0;
  std::uint32_t value = 0;
};

enum class Reply : std::uint32_t {
  Hello,   // the first server is set up (or says why not in `error`)
  Ready,   // a forked child is serving its new socket
  Forked,  // the parent's answer to Fork: `host_pid` is the child
  Wrote,
  Read,
  Pinned,  // `error` when vmsplice failed
};

// A write reports raw facts; the oracle classifies the fault
// (impl/linux/write_fault.h), so the rule lives in one testable place.
struct ReplyMsg {
  Reply kind = Reply::Hello;
  std::int32_t error = 0;                   // errno of a failed setup, fork or pin, else 0
  pid_t host_pid = 0;                       // Hello, Ready, Forked
  std::uint32_t value = 0;                  // Read
  std::uint32_t maybe_write_protected = 0;  // Write: first store since a fork
  std::uint64_t entry_before = 0;           // Write: pagemap entries around the store;
  std::uint64_t entry_after = 0;            // Hello: the entry of page 0
};

}  // namespace cow::linux_host
