// A server's page accesses, each made the way its op means it and reported
// with the page's pagemap entries around it: the user's own loads and
// stores, the kernel's store into the page (copyout), and the kernel's
// long-term references to it (pins).
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>

#include "impl/linux/fault_probe.h"
#include "impl/linux/pin_ring.h"
#include "impl/linux/raw_syscall.h"
#include "impl/linux/server_state.h"
#include "spec/types.h"

namespace cow::linux_host {

namespace {

struct Result {
  Access access = Access::Done;
  int error = 0;       // an unexpected failure: the oracle stops with it
  int attach = -1;     // a descriptor for the oracle (a pin's pipe)
  bool wrote = false;  // the page is now mapped writable
};

// The kernel stores the value: read() from a pipe into the word, so the
// store is copy_to_user's, which faults (and breaks COW) as a user store
// would, or fails with EFAULT where the user would get SIGSEGV.
Result copyout(volatile std::uint32_t* word, std::uint32_t value) {
  Result r;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    r.error = errno;
    return r;
  }
  if (::write(pipe_fds[1], &value, sizeof value) != static_cast<ssize_t>(sizeof value)) {
    r.error = errno != 0 ? errno : EIO;
  } else {
    long got = raw_syscall(SYS_read, pipe_fds[0], as_word(word), sizeof value);
    if (got == static_cast<long>(sizeof value))
      r.wrote = true;
    else if (got == -EFAULT)
      r.access = efault_access(word);
    else
      r.error = got < 0 ? static_cast<int>(-got) : EIO;
  }
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  return r;
}

// A long-term pin as the kernel takes one for a device: the page registered
// as an io_uring fixed buffer, pin_user_pages(FOLL_WRITE | FOLL_LONGTERM).
// The io_uring instance is the oracle's (every server inherits it), so the
// pin is the oracle's and outlives this process. A FOLL_PIN pin is what the
// model's pin is: the kernel unshares a COW-shared anonymous page before
// pinning it (here by a write fault, copy or reuse) and a fork copies a
// pinned exclusive page for the child at once.
Result pin_fixed_buffer(volatile std::uint32_t* page, std::uint32_t slot) {
  Result r;
  int registered = pin_ring_register(kRingFd, slot, const_cast<std::uint32_t*>(page));
  if (registered == 0)
    r.wrote = true;
  else if (registered == -EFAULT)
    r.access = efault_access(page);
  else
    r.error = -registered;
  return r;
}

// A reference as vmsplice() takes one (tools/testing/selftests/mm/cow.c's
// read-only "pin"): get_user_pages(FOLL_GET) without FOLL_WRITE, a
// reference the pipe holds on the page itself. The pipe's read end goes to
// the oracle.
Result splice_reference(volatile std::uint32_t* page) {
  Result r;
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    r.error = errno;
    return r;
  }
  iovec buffer{const_cast<std::uint32_t*>(page), kPageBytes};
  long spliced = raw_syscall(SYS_vmsplice, pipe_fds[1], as_word(&buffer), 1, 0);
  int error = spliced < 0 ? static_cast<int>(-spliced) : 0;
  ::close(pipe_fds[1]);
  if (spliced == static_cast<long>(kPageBytes)) {
    r.attach = pipe_fds[0];
    return r;
  }
  ::close(pipe_fds[0]);
  if (spliced < 0 && error == EFAULT)
    r.access = efault_access(page);
  else
    r.error = spliced < 0 ? error : EIO;
  return r;
}

// A read-only pin of a page of the file that a private mapping still shows
// (text, or a private file page its process never wrote): the model pins
// the file's page itself and never unshares it, and a FOLL_WRITE pin would
// instead break COW and pin a private copy. A read-only FOLL_PIN does to a
// page-cache page what a vmsplice() reference does (no unshare, no copy at
// fork: both are for anonymous pages only), so the reference stands in for
// it there. Pagemap's file bit tells a page that is still the file's from
// one its process has copied (a private file page written, a text page
// written through /proc/PID/mem).
bool pins_page_cache(const RequestMsg& rq, MapKind kind, std::uint64_t entry) {
  if (rq.rw) return false;
  return (kind == MapKind::Text || kind == MapKind::PrivateFile) && !pagemap_anonymous(entry);
}

// A read-only pin of a text page's private copy must be a FOLL_PIN, as the
// model's is: it unshares a copy another process shares, and a fork copies
// the pinned page for the child at once, where a reference does neither.
// The one long-term pin a process can take, an io_uring buffer, is
// FOLL_WRITE, which text refuses; so the page is made writable for as long
// as the pin takes (mprotect), as a device driver's read-only pin would
// find it. Nothing else of the process runs meanwhile: the oracle holds
// every other access to this address space off (LinuxCow, Server::space).
Result pin_text_copy(volatile std::uint32_t* page, std::uint32_t slot) {
  void* at = const_cast<std::uint32_t*>(page);
  if (::mprotect(at, kPageBytes, PROT_READ | PROT_WRITE | PROT_EXEC) != 0) {
    Result r;
    r.error = errno;
    return r;
  }
  Result r = pin_fixed_buffer(page, slot);
  if (::mprotect(at, kPageBytes, PROT_READ | PROT_EXEC) != 0 && r.error == 0) r.error = errno;
  return r;
}

// Page faults this process has taken, minor and major (a fault retried
// counts as major). Faults that get_user_pages takes on the server's
// behalf (copyout, a pin) count too: the kernel charges them to the task.
std::uint64_t faults_so_far() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return static_cast<std::uint64_t>(usage.ru_minflt) + static_cast<std::uint64_t>(usage.ru_majflt);
}

// get_user_pages marks the page it wrote accessed (FOLL_TOUCH), which may
// put the page in this CPU's batch of folios to activate, holding a
// reference until the batch is drained; a write fault that then finds the
// page mapped once still sees two references and copies, where the model
// (and the kernel a moment later) reuses. The write fault drains this CPU's
// batches only for a page off the LRU lists (wp_can_reuse_anon_folio), and
// an activated one is on them. MADV_COLD drains them first thing
// (lru_add_drain), whatever range it is given: here the records page.
void drain_page_batches(const ServerState& s) {
  auto page = reinterpret_cast<std::uintptr_t>(s.maybe_write_protected) & ~(kPageBytes - 1);
  ::madvise(reinterpret_cast<void*>(page), kPageBytes, MADV_COLD);
}

// A write through /proc/thread-self/mem: the kernel's get_user_pages with
// FOLL_FORCE | FOLL_WRITE (mem_rw, access_remote_vm), which writes even a
// read-only private page, by a COW break that leaves the PTE read-only. The
// file is opened anew each time: an open one holds the address space it
// was opened in, and this task may have forked or exec'd since. Of the
// task, not the process (/proc/self): a thread group whose leader exited
// has no address space under /proc/self.
Result memwrite(const ServerState& s, volatile std::uint32_t* word, std::uint32_t value) {
  Result r;
  int mem = ::open("/proc/thread-self/mem", O_RDWR | O_CLOEXEC);
  if (mem < 0) {
    r.error = errno;
    return r;
  }
  long put = raw_syscall(SYS_pwrite64, mem, as_word(&value), sizeof value, as_word(word));
  ::close(mem);
  drain_page_batches(s);
  if (put == static_cast<long>(sizeof value))
    r.wrote = true;
  else if (put == -EIO || put == -EFAULT)
    r.access = efault_access(word);
  else
    r.error = put < 0 ? static_cast<int>(-put) : EIO;
  return r;
}

}  // namespace

namespace {

// Run this task on `cpu` alone; a preference (failing is harmless).
void run_on(int cpu) {
  if (cpu < 0) return;
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  CPU_SET(cpu, &cpus);
  ::sched_setaffinity(0, sizeof cpus, &cpus);
}

}  // namespace

std::uint64_t enter_race(const ServerState& s, const RequestMsg& rq) {
  if (s.clock == nullptr) return 0;
  if (rq.cpu != 0) run_on(static_cast<int>(rq.cpu) - 1);
  race_clock_wait(s.clock, rq.start);
  race_spin(rq.spin);
  return race_clock_tick(s.clock);
}

std::uint64_t leave_race(const ServerState& s, const RequestMsg& rq) {
  if (s.clock == nullptr) return 0;
  std::uint64_t tick = race_clock_tick(s.clock);
  if (rq.cpu != 0) run_on(s.setup.cpu);
  return tick;
}

void serve_access(ServerState& s, const RequestMsg& rq) {
  volatile std::uint32_t* page = page_at(s, rq.vpn);
  volatile std::uint32_t* word = page + rq.word;
  auto kind = static_cast<MapKind>(s.kinds[rq.vpn]);
  ReplyMsg reply_msg;
  reply_msg.kind = Reply::Touched;
  reply_msg.map = s.kinds[rq.vpn];
  reply_msg.maybe_write_protected = s.maybe_write_protected[rq.vpn];
  reply_msg.address = reinterpret_cast<std::uintptr_t>(page);
  reply_msg.entry_before = pagemap_read(s.pagemap, page);
  reply_msg.thp.reused_ahead = s.reused_with_thp[rq.vpn];
  if (s.setup.thp) {
    reply_msg.thp.pmd_before = pagemap_pmd_mapped(s.pagemap, page) ? 1 : 0;
    reply_msg.thp.folio_before = kpageflags_thp(pagemap_pfn(reply_msg.entry_before)) ? 1 : 0;
  }
  std::uint64_t faults_before = faults_so_far();
  reply_msg.invoked = enter_race(s, rq);
  Result r;
  switch (rq.kind) {
    case Request::Write:
      r.access = probe_store(word, rq.value);
      r.wrote = r.access == Access::Done;
      break;
    case Request::Read: r.access = probe_load(word, &reply_msg.value); break;
    case Request::Copyout: r = copyout(word, rq.value); break;
    case Request::Pin:
      if (pins_page_cache(rq, kind, reply_msg.entry_before)) {
        reply_msg.pin_by = PinBy::Splice;
        r = splice_reference(page);
      } else {
        reply_msg.pin_by = PinBy::FixedBuffer;
        r = kind == MapKind::Text && !rq.rw ? pin_text_copy(page, rq.slot)
                                            : pin_fixed_buffer(page, rq.slot);
      }
      break;
    case Request::Reference:
      reply_msg.pin_by = PinBy::Splice;
      r = splice_reference(page);
      break;
    case Request::Memwrite: r = memwrite(s, word, rq.value); break;
    default: ::_exit(kExitBadRequest);
  }
  reply_msg.returned = leave_race(s, rq);
  reply_msg.faults = static_cast<std::uint32_t>(faults_so_far() - faults_before);
  reply_msg.entry_after = pagemap_read(s.pagemap, page);
  reply_msg.access = r.access;
  reply_msg.error = r.error;
  if (s.setup.thp) {
    reply_msg.thp.pmd_after = pagemap_pmd_mapped(s.pagemap, page) ? 1 : 0;
    std::uint64_t pfn = pagemap_pfn(reply_msg.entry_before);
    bool in_place = pfn != 0 && pfn == pagemap_pfn(reply_msg.entry_after);
    if (r.wrote && in_place && reply_msg.thp.pmd_before && reply_msg.thp.pmd_after &&
        s.maybe_write_protected[rq.vpn]) {
      reply_msg.thp.reused_whole = 1;
      mark_reused_with_thp(s, rq.vpn);
    }
  }
  if (r.wrote) {
    s.maybe_write_protected[rq.vpn] = 0;
    s.reused_with_thp[rq.vpn] = 0;
  }
  reply(reply_msg, r.attach);
  if (r.attach >= 0) ::close(r.attach);
}

}  // namespace cow::linux_host
