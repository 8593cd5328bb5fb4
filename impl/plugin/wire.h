// The pipe protocol between the oracle and a plug-in's worker process:
// fixed-size little records of native 32-bit words, one request, one reply.
// An op's reply carries the plug-in's white-box view after it (one round
// trip per op), as a delta against the view sent before it.
// Kept free of any other cowcheck header so the worker links nothing else.
// The oracle and the worker are built together, so the protocol has no
// versions of its own; the magic changes when a record does.
#pragma once

#include <sched.h>

#include <chrono>
#include <cstdint>

namespace cow::plugin::wire {

inline constexpr int kRequestFd = 3;                      // the worker reads requests here
inline constexpr int kReplyFd = 4;                        // and writes replies here
inline constexpr int kProgressFd = 5;                     // a memfd holding one Progress, shared
inline constexpr std::uint32_t kHelloMagic = 0x636f7733;  // "cow3"
inline constexpr std::uint32_t kWords = 4;  // = cow::kMaxWords, words per frame in a snapshot

// One code per op (the numbering is the wire's own), and Reset: destroy
// the instance and create a fresh one in the same worker, for a new run.
enum class Code : std::uint32_t {
  Fork = 1,
  Write = 2,
  Read = 3,
  Exit = 4,
  Reset = 5,
  Exec = 6,
  Vfork = 7,
  Mmap = 8,
  Munmap = 9,
  Swapout = 10,
  Pin = 11,
  Unpin = 12,
  Copyout = 13,
};
inline constexpr std::uint32_t kLastCode = 13;
// Reset's reply: a Reply whose status is COW_OK, or COW_UNSUPPORTED when
// create() returned NULL (the worker then has no instance), and whose
// `value` is 1 when the worker found processes the plug-in forked still
// alive after destroy() (the oracle then retires it: they must not outlive
// the run). A Reset that finds such processes answers so without creating.
// When it created, a white-box plug-in's first view follows the Reply.

// The bit of an op's code in Hello::ops.
constexpr std::uint32_t op_bit(Code code) { return 1u << static_cast<std::uint32_t>(code); }

struct Request {
  Code code;
  std::uint32_t pid;
  std::uint32_t vpn;
  std::uint32_t word;
  std::uint32_t value;
  std::uint32_t count;  // mmap, munmap
  std::uint32_t kind;   // mmap: the ABI's cow_map_kind
  std::uint32_t rw;     // pin
  std::uint32_t pin;    // unpin
};

// `status` and `fault` carry the ABI's cow_status and cow_fault.
struct Reply {
  std::uint32_t status;
  std::uint32_t fault;
  std::uint32_t child;
  std::uint32_t value;
  std::uint32_t pin;
};

// The worker's first message: whether it loaded the plug-in and created an
// instance, and if not, why (`message_length` bytes of text follow); when it
// did and the plug-in is white-box, the first view follows. `ops`
// has op_bit(code) set for every op the plug-in has an entry point for;
// `map_kinds` is the mask of kinds its mmap takes (1 << cow_map_kind).
struct Hello {
  std::uint32_t magic;
  std::uint32_t ok;
  std::uint32_t white_box;
  std::uint32_t abi_version;
  std::uint32_t ops;
  std::uint32_t map_kinds;
  std::uint32_t message_length;
};

// A white-box plug-in's view, after the Reply of every op it answered (any
// status but COW_UNSUPPORTED), of a Reset that created, and of the Hello:
// this header, then the records in this order. Procs are every live pid
// (the worker follows the outcomes as the oracle does), ascending; PTEs and
// frames only those that changed since the view before (all of them in the
// first view of an instance, and every page of an address space that is
// new); slots every one in use; pins every held id, ascending.
struct ViewHeader {
  std::uint32_t procs;
  std::uint32_t ptes;
  std::uint32_t frames;
  std::uint32_t slots;
  std::uint32_t pins;
  std::uint32_t free_frames;
};

// `live` is 0 when the plug-in says the pid is not a process.
struct ProcRecord {
  std::uint32_t pid, live, space, suspended;
};

struct PteRecord {
  std::uint32_t pid, vpn, present, writable, cow, frame, kind, exclusive, slot;
};

struct FrameRecord {
  std::uint32_t frame;
  std::uint32_t refcount;
  std::uint32_t cache;
  std::uint32_t contents[kWords];
};

struct SlotRecord {
  std::uint32_t slot;
  std::uint32_t refcount;
  std::uint32_t contents[kWords];
};

// `held` is 0 when the plug-in says the id is not held.
struct PinRecord {
  std::uint32_t id, held, frame, rw;
};

// Shared by the oracle and its worker (mapped from kProgressFd), so that the
// oracle tells a slow plug-in from a stuck one without reading a clock, and
// a worker that lost its pipes from a plug-in that called exit(). The
// worker updates it with __atomic builtins; the oracle only reads (and
// trusts it for nothing but its messages and its progress marks).
// The oracle writes only `requests`.
struct Progress {
  std::uint32_t calls;       // calls into the plug-in that returned, so far
  std::uint32_t pipe_errno;  // why the worker's own pipe I/O failed (0: it did not)
  std::uint32_t viewing;     // 1 while it reads the view after an op, else 0
  std::uint32_t requests;    // requests the oracle has written, so far
  std::uint32_t replies;     // replies the worker has written, so far
};

// How long either side spins on the other's counter (requests, replies)
// before it blocks in read() or poll(), when it may run on more than one
// CPU: an answer that comes within it costs neither side a sleep and a
// wake-up from the other CPU. The pipe stays the one source of what was
// said; the counters only say when to look, so a plug-in that scribbles
// on them costs at most a spin.
inline constexpr std::chrono::microseconds kSpin{50};

// Spins until *counter is no longer `from`, or kSpin has passed; true if it changed.
inline bool spin_for_change(const std::uint32_t* counter, std::uint32_t from) {
  auto until = std::chrono::steady_clock::now() + kSpin;
  for (unsigned i = 1;; ++i) {
    if (__atomic_load_n(counter, __ATOMIC_ACQUIRE) != from) return true;
    if (i % 64 == 0 && std::chrono::steady_clock::now() >= until) return false;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
  }
}

// Whether this process may run on more than one CPU: on one, spinning for
// the other side only keeps it from running.
inline bool many_cpus() {
  cpu_set_t set;
  return ::sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 1;
}

}  // namespace cow::plugin::wire
