// The server side's own state and the pieces its files share (server.cpp:
// setup, the request loop, fork and vfork; server_space.cpp: the mappings;
// server_access.cpp: page accesses; server_exec.cpp: exec). Included only
// by those files: the oracle never sees a server's memory.
#pragma once

#include <cstddef>
#include <cstdint>

#include "impl/linux/pagemap.h"
#include "impl/linux/race_clock.h"
#include "impl/linux/server.h"
#include "impl/linux/server_wire.h"

namespace cow::linux_host {

// Fixed descriptor numbers: every server has the same ones, whatever the
// oracle had open when the first one was forked, and an exec'd image finds
// them where its predecessor left them.
inline constexpr int kChannelFd = 3;
inline constexpr int kPagemapFd = 4;
inline constexpr int kFileFd = 5;
inline constexpr int kExeFd = 6;
inline constexpr int kRingFd = 7;
inline constexpr int kClockFd = 8;  // the race clock (impl/linux/race_clock.h)
inline constexpr int kSetupFd = 9;  // only from exec to the new image's entry
inline constexpr int kFirstFreeFd = 10;

inline constexpr std::uint32_t kWordsPerPage = kPageBytes / sizeof(std::uint32_t);
// A PMD-mapped transparent huge page on x86-64 and arm64 with 4 KiB pages.
inline constexpr std::size_t kHugeBytes = std::size_t{2} << 20;
inline constexpr std::uint32_t kPagesPerHuge = kHugeBytes / kPageBytes;
// The stack of a task that does not run on its process's own: a vfork child
// or a thread (server.cpp, take_stack); ASan builds need the room.
inline constexpr std::size_t kStackBytes = 256 * 1024;

// Exit codes the oracle reports when a server dies on its own.
inline constexpr int kExitSetupFailed = 70;
inline constexpr int kExitBadRequest = 71;
inline constexpr int kExitOracleGone = 72;

struct ServerState {
  ServerSetup setup;
  volatile std::uint32_t* memory = nullptr;  // the pages under test
  // Per page: no write to it since this space's last fork, so its PTE may be
  // write-protected and the next write may take a COW fault. Kept apart from
  // `memory`, which must hold nothing but the pages under test; like
  // `kinds`, it lives in the address space, so a vfork child shares it with
  // its parent and a forked child gets its own copy, as they do the pages.
  std::uint8_t* maybe_write_protected = nullptr;
  std::uint8_t* kinds = nullptr;  // per page: the cow::MapKind mapped there
  // Per page (linux:thp): made writable, without a write of its own, by a
  // write that reused its whole huge page since this space's last fork.
  std::uint8_t* reused_with_thp = nullptr;
  // setup.procs stacks of kStackBytes for vfork children and threads, and
  // per stack who holds it: 0 free, else taken; the kernel writes 0 when
  // its task exits or execs (CLONE_CHILD_CLEARTID), so a stack is never
  // given again while a task may still run on it. In the address space:
  // tasks that share it share the stacks, and a fork's child keeps only
  // the stack its one task runs on (server.cpp, keep_own_stack).
  char* stacks = nullptr;
  std::uint32_t* stack_taken = nullptr;
  int stack_slot = -1;  // -1: the process's own stack; k: stacks slot k
  int pagemap = -1;
  RaceClock* clock = nullptr;  // null when it could not be mapped: no ticks
};

// Sends `r` to the oracle, with `pass_fd` attached unless -1; a gone oracle
// ends the server.
void reply(const ReplyMsg& r, int pass_fd = -1);
[[noreturn]] void serve(ServerState& s);

// Sets up a server in this process: the first (pages touched, zero page
// learned) or a fresh image after exec (pages untouched). Says Hello.
[[noreturn]] void run_server(const ServerSetup& setup, bool first);

// server_space.cpp
bool map_space(ServerState& s, bool touch);
ReplyMsg serve_map(ServerState& s, const RequestMsg& rq);
ReplyMsg serve_madvise(ServerState& s, const RequestMsg& rq);
// Returns how many pages the fork copied for the child rather than share.
std::uint32_t mark_shared_by_fork(ServerState& s);
// After a write that reused page `vpn` with its PMD intact: every page of
// that huge page is writable now (ServerState::reused_with_thp).
void mark_reused_with_thp(ServerState& s, std::uint32_t vpn);
volatile std::uint32_t* page_at(const ServerState& s, std::uint32_t vpn);
std::uint64_t learn_zero_pfn(int pagemap);

// server_access.cpp: Write, Read, Copyout, Pin, Reference. Replies itself:
// a pin may attach a descriptor.
void serve_access(ServerState& s, const RequestMsg& rq);

// server_access.cpp: the lanes' gate and delay before an access (RequestMsg
// start, spin), and the clock read just before it.
std::uint64_t enter_race(const ServerState& s, const RequestMsg& rq);
// The clock read just after it, and the task back on its own CPU.
std::uint64_t leave_race(const ServerState& s, const RequestMsg& rq);

// server_exec.cpp: returns only when execve failed, having said why.
void serve_exec(const ServerState& s);

}  // namespace cow::linux_host
