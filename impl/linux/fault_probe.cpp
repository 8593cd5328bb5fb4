#include "impl/linux/fault_probe.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdint>

#include "impl/linux/pagemap.h"
#include "impl/linux/raw_syscall.h"
#include "impl/linux/vfork_stack.h"

namespace cow::linux_host {

namespace {

struct Probe {
  sigjmp_buf resume;
  volatile int code = 0;  // si_code of the SIGSEGV
};

// The probes in progress, one per task at most, by the task's id: the
// threads of a server probe at once, and share its memory and even its
// thread-local storage (server.cpp, serve_thread), so a SIGSEGV handler
// finds its own task's probe by asking the kernel who it is. More slots
// than tasks a run may have live.
constexpr int kProbeSlots = 64;
struct ProbeSlot {
  std::atomic<pid_t> tid{0};
  Probe* probe = nullptr;
};
ProbeSlot g_probes[kProbeSlots];

pid_t my_tid() { return static_cast<pid_t>(::syscall(SYS_gettid)); }

ProbeSlot* find_slot(pid_t tid) {
  for (ProbeSlot& slot : g_probes)
    if (slot.tid.load() == tid) return &slot;
  return nullptr;
}

// Registers `probe` for this task; null when every slot is busy (then the
// probe's fault, if any, kills the server: a CRASH, never a wrong answer).
ProbeSlot* begin_probe(Probe* probe) {
  pid_t tid = my_tid();
  for (ProbeSlot& slot : g_probes) {
    pid_t free = 0;
    if (slot.tid.compare_exchange_strong(free, tid)) {
      slot.probe = probe;
      std::atomic_signal_fence(std::memory_order_seq_cst);
      return &slot;
    }
  }
  return nullptr;
}

void end_probe(ProbeSlot* slot) {
  if (slot == nullptr) return;
  slot->probe = nullptr;
  slot->tid.store(0);
}

void on_segv(int signal, siginfo_t* info, void*) {
  ProbeSlot* slot = find_slot(my_tid());
  Probe* probe = slot ? slot->probe : nullptr;
  if (probe == nullptr) {
    // A fault outside a probe is a bug: die of it, so the oracle reports a
    // CRASH with the signal.
    ::signal(signal, SIG_DFL);
    return;  // the faulting instruction runs again and kills the server
  }
  end_probe(slot);
  probe->code = info->si_code;
  ::siglongjmp(probe->resume, 1);
}

// Back from the handler by siglongjmp: the handler's frames are gone, and
// in a thread the sanitizer was not told (impl/linux/vfork_stack.h).
Access verdict(int si_code) {
  volatile char here = 0;
  skipped_frames_clean(const_cast<const char*>(&here), 32 * 1024);
  return si_code == SEGV_MAPERR ? Access::Unmapped : Access::Forbidden;
}

}  // namespace

void install_fault_probe() {
  struct sigaction action {};
  action.sa_sigaction = on_segv;
  action.sa_flags = SA_SIGINFO;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGSEGV, &action, nullptr);
}

// A write that changes nothing, so that the probes' page is this space's
// own before an access is counted (a tid can only be swapped for itself).
void settle_fault_probe() {
  for (ProbeSlot& slot : g_probes) {
    pid_t same = slot.tid.load();
    slot.tid.compare_exchange_strong(same, same);
  }
}

void forget_other_probes() {
  pid_t tid = my_tid();
  for (ProbeSlot& slot : g_probes)
    if (slot.tid.load() != tid) {
      slot.probe = nullptr;
      slot.tid.store(0);
    }
}

Access probe_store(volatile std::uint32_t* word, std::uint32_t value) {
  Probe probe;
  if (sigsetjmp(probe.resume, 1) != 0) return verdict(probe.code);
  ProbeSlot* slot = begin_probe(&probe);
  *word = value;
  end_probe(slot);
  return Access::Done;
}

Access probe_load(const volatile std::uint32_t* word, std::uint32_t* value) {
  Probe probe;
  if (sigsetjmp(probe.resume, 1) != 0) return verdict(probe.code);
  ProbeSlot* slot = begin_probe(&probe);
  *value = *word;
  end_probe(slot);
  return Access::Done;
}

Access efault_access(const volatile void* page) {
  unsigned char resident = 0;
  auto address = reinterpret_cast<std::uintptr_t>(page) & ~(kPageBytes - 1);
  if (raw_syscall(SYS_mincore, as_word(address), as_word(kPageBytes), as_word(&resident)) ==
      -ENOMEM)
    return Access::Unmapped;
  return Access::Forbidden;
}

}  // namespace cow::linux_host
