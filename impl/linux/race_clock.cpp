#include "impl/linux/race_clock.h"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "impl/linux/pagemap.h"
#include "impl/linux/raw_syscall.h"

namespace cow::linux_host {

namespace {

// The futex is shared between processes (no FUTEX_PRIVATE_FLAG): the
// servers are processes of their own.
// Raw: a waiter's EAGAIN must not land in errno, which a server's threads
// share (impl/linux/raw_syscall.h).
long futex(std::atomic<std::uint32_t>* word, int op, std::uint32_t value) {
  return raw_syscall(SYS_futex, as_word(word), op, value);
}

}  // namespace

RaceClock* race_clock_create(int* fd) {
  *fd = ::memfd_create("cowcheck-race-clock", MFD_CLOEXEC);
  if (*fd < 0) return nullptr;
  if (::ftruncate(*fd, kPageBytes) != 0) {
    int error = errno;
    ::close(*fd);
    *fd = -1;
    errno = error;
    return nullptr;
  }
  RaceClock* clock = race_clock_map(*fd);
  if (clock == nullptr) {
    int error = errno;
    ::close(*fd);
    *fd = -1;
    errno = error;
  }
  return clock;
}

RaceClock* race_clock_map(int fd) {
  void* at = ::mmap(nullptr, kPageBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  return at == MAP_FAILED ? nullptr : static_cast<RaceClock*>(at);
}

// A waiter spins a while before it sleeps: the lanes' tasks wait on
// separate CPUs, and a spinning one sees the gate open at once where one
// woken from the futex would start tens of microseconds later, after the
// other lane's op was over. Bounded: a lane kept waiting long sleeps.
constexpr std::uint32_t kSpinsBeforeSleep = 1u << 16;

void race_clock_wait(RaceClock* clock, std::uint32_t round) {
  for (std::uint32_t i = 0; i < kSpinsBeforeSleep; ++i) {
    if (clock->start.load(std::memory_order_acquire) >= round) return;
    race_spin(1);
  }
  for (;;) {
    std::uint32_t now = clock->start.load(std::memory_order_acquire);
    if (now >= round) return;
    futex(&clock->start, FUTEX_WAIT, now);  // EAGAIN when it moved meanwhile
  }
}

void race_clock_open(RaceClock* clock, std::uint32_t round) {
  clock->start.store(round, std::memory_order_release);
  futex(&clock->start, FUTEX_WAKE, INT32_MAX);
}

void race_spin(std::uint32_t rounds) {
  for (std::uint32_t i = 0; i < rounds; ++i) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    asm volatile("" ::: "memory");
#endif
  }
}

}  // namespace cow::linux_host
