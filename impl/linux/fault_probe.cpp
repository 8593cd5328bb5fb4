#include "impl/linux/fault_probe.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdint>

#include "impl/linux/pagemap.h"

namespace cow::linux_host {

namespace {

struct Probe {
  sigjmp_buf resume;
  volatile int code = 0;  // si_code of the SIGSEGV
};

// The probe in progress, if any. One per address space is enough: only one
// task runs in a space at a time (a vfork parent sleeps while its child runs).
Probe* volatile g_probe = nullptr;

void on_segv(int signal, siginfo_t* info, void*) {
  Probe* probe = g_probe;
  if (probe == nullptr) {
    // A fault outside a probe is a bug: die of it, so the oracle reports a
    // CRASH with the signal.
    ::signal(signal, SIG_DFL);
    return;  // the faulting instruction runs again and kills the server
  }
  g_probe = nullptr;
  probe->code = info->si_code;
  ::siglongjmp(probe->resume, 1);
}

Access verdict(int si_code) {
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

void settle_fault_probe() { g_probe = nullptr; }

Access probe_store(volatile std::uint32_t* word, std::uint32_t value) {
  Probe probe;
  if (sigsetjmp(probe.resume, 1) != 0) return verdict(probe.code);
  g_probe = &probe;
  *word = value;
  g_probe = nullptr;
  return Access::Done;
}

Access probe_load(const volatile std::uint32_t* word, std::uint32_t* value) {
  Probe probe;
  if (sigsetjmp(probe.resume, 1) != 0) return verdict(probe.code);
  g_probe = &probe;
  *value = *word;
  g_probe = nullptr;
  return Access::Done;
}

Access efault_access(const volatile void* page) {
  unsigned char resident = 0;
  auto address = reinterpret_cast<std::uintptr_t>(page) & ~(kPageBytes - 1);
  if (::mincore(reinterpret_cast<void*>(address), kPageBytes, &resident) != 0 && errno == ENOMEM)
    return Access::Unmapped;
  return Access::Forbidden;
}

}  // namespace cow::linux_host
