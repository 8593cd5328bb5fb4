// The pipe protocol between the oracle and a plug-in's worker process:
// fixed-size little records of native 32-bit words, one request, one reply.
// Kept free of any other cowcheck header so the worker links nothing else.
#pragma once

#include <cstdint>

namespace cow::plugin::wire {

inline constexpr int kRequestFd = 3;  // the worker reads requests here
inline constexpr int kReplyFd = 4;    // and writes replies here
inline constexpr std::uint32_t kHelloMagic = 0x636f7731;  // "cow1"
inline constexpr std::uint32_t kWords = 4;  // = cow::kMaxWords, words per frame in a snapshot

enum class Code : std::uint32_t { Fork = 1, Write = 2, Read = 3, Exit = 4, Snapshot = 5 };

// For Snapshot, `pid` is the number of live pids that follow as words.
struct Request {
  Code code;
  std::uint32_t pid;
  std::uint32_t vpn;
  std::uint32_t word;
  std::uint32_t value;
};

// `status` and `fault` carry the ABI's cow_status and cow_fault.
struct Reply {
  std::uint32_t status;
  std::uint32_t fault;
  std::uint32_t child;
  std::uint32_t value;
};

// The worker's first message: whether it loaded the plug-in and created an
// instance, and if not, why (`message_length` bytes of text follow).
struct Hello {
  std::uint32_t magic;
  std::uint32_t ok;
  std::uint32_t white_box;
  std::uint32_t message_length;
};

// A snapshot reply: a Reply header (status ok), then ptes, then every frame.
struct SnapshotHeader {
  std::uint32_t ptes;
  std::uint32_t frames;
  std::uint32_t free_frames;
};

struct PteRecord {
  std::uint32_t pid, vpn, present, writable, cow, frame;
};

struct FrameRecord {
  std::uint32_t refcount;
  std::uint32_t contents[kWords];
};

}  // namespace cow::plugin::wire
