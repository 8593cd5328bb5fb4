// The request/response protocol between the oracle and each server process:
// fixed-size records, one per SOCK_SEQPACKET message, so a message is never
// split or merged and a reader never parses.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace cow::linux_host {

enum class Request : std::uint32_t {
  Write,      // the user stores `value` into word `word` of page `vpn`
  Read,       // the user loads word `word` of page `vpn`
  Copyout,    // the kernel stores `value` there: read() from a pipe into the word
  Pin,        // a long-term pin of page `vpn` (`rw`), in slot `slot` of the run's
              // io_uring instance (impl/linux/pin_ring.h)
  Reference,  // vmsplice page `vpn` into a new pipe whatever it is (an experiment)
  Fork,       // fork; the message carries the child's end of a new socket
  Vfork,      // CLONE_VFORK, likewise; no answer until the child execs or exits
  Exec,       // execve the oracle's own executable: the new image says Hello
  Map,        // mmap `count` pages from `vpn` of kind `map`, MAP_FIXED
  Unmap,      // munmap `count` pages from `vpn`
  Exit,       // this task exits (SYS_exit) without a reply: the oracle sees the socket close
  Thread,     // clone(CLONE_VM | CLONE_THREAD): a new task of this process; the
              // message carries the new task's end of a new socket
  Madvise,    // madvise(MADV_DONTNEED) over `count` pages from `vpn`
  Memwrite,   // pwrite() `value` into word `word` of page `vpn` through
              // /proc/thread-self/mem (FOLL_FORCE | FOLL_WRITE)
};

struct RequestMsg {
  Request kind = Request::Read;
  std::uint32_t vpn = 0;
  std::uint32_t word = 0;
  std::uint32_t value = 0;
  std::uint32_t count = 0;  // Map, Unmap
  std::uint32_t map = 0;    // Map: a cow::MapKind
  std::uint32_t rw = 0;     // Pin
  std::uint32_t slot = 0;   // Pin
  // Lanes (LinuxCow::run_lanes): wait until the race clock's start word
  // reaches `start` (0: do not wait), then spin `spin` rounds, then act, with
  // the clock read just before and just after (ReplyMsg::invoked, returned).
  std::uint32_t start = 0;
  std::uint32_t spin = 0;
  // Lanes: run the access on CPU `cpu - 1` (0: where the server runs), so
  // that lanes run in parallel, not in turns; back on the server's own CPU
  // afterwards (ServerSetup::cpu).
  std::uint32_t cpu = 0;
};

enum class Reply : std::uint32_t {
  Hello,     // a server is set up (or says why not in `error`): the first one,
             // or a fresh image after Exec (or, from the old image, why exec failed)
  Ready,     // a forked or vforked child is serving its new socket
  Forked,    // the parent's answer to Fork: `host_pid` is the child
  Vforked,   // the parent is back from vfork: its child exec'd or exited
  Touched,   // a page access (Write, Read, Copyout, Pin, Reference)
  Mapped,    // Map, Unmap or Madvise done (`error` when the host refused)
  Threaded,  // the creator's answer to Thread: `host_pid` is the new task's tid
};

// How a page access ended, as the kernel answered it.
enum class Access : std::uint32_t {
  Done,
  Unmapped,   // SIGSEGV with SEGV_MAPERR, or EFAULT where mincore() says ENOMEM
  Forbidden,  // SIGSEGV with SEGV_ACCERR, or EFAULT on a mapped page
};

// How a pin holds its page: what the server chose (why: server_access.cpp).
enum class PinBy : std::uint32_t {
  FixedBuffer,  // registered in the slot of the run's io_uring instance
  Splice,       // vmsplice()d into a pipe; the reply carries its read end
};

// What a page access found of transparent huge pages (the linux:thp mode;
// all false otherwise). One byte each: a record of plain facts.
struct ThpFacts {
  std::uint8_t pmd_before = 0;    // the page was mapped by a PMD (PAGEMAP_SCAN's PAGE_IS_HUGE)
  std::uint8_t pmd_after = 0;     // likewise after; Hello: every page under test is
  std::uint8_t folio_before = 0;  // its frame was part of a THP, however mapped (KPF_THP)
  // A write found the page's whole PMD made writable by an earlier write to
  // another page of it, since the last fork (server_access.cpp).
  std::uint8_t reused_ahead = 0;
  // This write reused the page in place with its PMD intact: the whole huge
  // page, every page of it, is writable now.
  std::uint8_t reused_whole = 0;
};

// A page access reports raw facts; the oracle classifies the fault
// (impl/linux/access_fault.h), so the rule lives in one testable place.
struct ReplyMsg {
  Reply kind = Reply::Hello;
  std::int32_t error = 0;                   // errno of a failed setup, fork, map or pin, else 0
  pid_t host_pid = 0;                       // Hello, Ready, Forked, Vforked (the child)
  std::uint32_t value = 0;                  // Read
  std::uint32_t maybe_write_protected = 0;  // Touched: write-protected by a fork, not written since
  std::uint64_t entry_before = 0;           // Touched: pagemap entries around the access;
  std::uint64_t entry_after = 0;            // Hello: the entry of page 0
  Access access = Access::Done;             // Touched
  std::uint32_t map = 0;              // Touched: the page's cow::MapKind, as the server mapped it
  PinBy pin_by = PinBy::FixedBuffer;  // Touched, for Pin
  std::uint64_t address = 0;          // Touched: the page's address
  std::uint64_t zero_pfn = 0;         // Hello: the shared zero page's PFN, 0 if unknown
  // Touched: page faults the server took during the access (minor and major,
  // getrusage). Never fewer than the access took; a few more at most (the
  // server's own memory), so 0 proves the access took none.
  std::uint32_t faults = 0;
  std::uint32_t copied = 0;  // Forked: pages the fork copied for the child rather than share
  ThpFacts thp;              // Touched: the page and its huge page; Hello: see ThpFacts::pmd_after
  // Touched, Mapped: the race clock (impl/linux/race_clock.h) read just
  // before and just after the access; 0 when the server has no clock.
  std::uint64_t invoked = 0;
  std::uint64_t returned = 0;
};

}  // namespace cow::linux_host
