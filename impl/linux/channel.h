// One record at a time over a SOCK_SEQPACKET socket, optionally with a file
// descriptor attached (SCM_RIGHTS): how the oracle hands a forking server
// the socket its child will serve. Used on both sides, so async-signal-safe:
// no allocation, no exceptions.
#pragma once

#include <cstddef>

namespace cow::linux_host {

enum class Received { Message, Closed, TimedOut, Failed };

// A connected pair, both ends close-on-exec; false on failure (errno set).
bool channel_pair(int ends[2]);

// Sends `size` bytes as one message, with `pass_fd` attached unless it is -1.
// Never raises SIGPIPE: a peer that is gone is a false return.
bool channel_send(int fd, const void* data, std::size_t size, int pass_fd = -1);

// Waits up to `timeout_ms` (< 0: forever) for one message of exactly `size`
// bytes. An attached descriptor lands in `*passed_fd` (close-on-exec), or is
// closed when `passed_fd` is null; without one `*passed_fd` is -1.
Received channel_receive(int fd, void* data, std::size_t size, int timeout_ms,
                         int* passed_fd = nullptr);

}  // namespace cow::linux_host
