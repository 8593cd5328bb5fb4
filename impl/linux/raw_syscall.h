// A system call that returns -errno itself and leaves errno alone. The
// threads of a server share their creator's thread-local storage
// (server.cpp, serve_thread), errno with it, so the calls whose error
// decides an answer (EFAULT: no mapping or not allowed) are made this way:
// another task's failing call cannot change what this one reads. Elsewhere
// than x86-64 and arm64, syscall() and errno (the threads' answers may
// then be misread when two fail at once).
#pragma once

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <type_traits>

namespace cow::linux_host {

inline long raw_syscall(long number, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0,
                        long a5 = 0, long a6 = 0) {
#if defined(__x86_64__)
  long result;
  register long r10 asm("r10") = a4;
  register long r8 asm("r8") = a5;
  register long r9 asm("r9") = a6;
  asm volatile("syscall"
               : "=a"(result)
               : "a"(number), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
               : "rcx", "r11", "memory");
  return result;
#elif defined(__aarch64__)
  register long x8 asm("x8") = number;
  register long x0 asm("x0") = a1;
  register long x1 asm("x1") = a2;
  register long x2 asm("x2") = a3;
  register long x3 asm("x3") = a4;
  register long x4 asm("x4") = a5;
  register long x5 asm("x5") = a6;
  asm volatile("svc 0"
               : "+r"(x0)
               : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
               : "memory");
  return x0;
#else
  long result = ::syscall(number, a1, a2, a3, a4, a5, a6);
  return result < 0 ? -errno : result;
#endif
}

// Pointers and sizes as the raw call's words.
template <typename T>
long as_word(T value) {
  if constexpr (std::is_pointer_v<T>)
    return reinterpret_cast<long>(value);
  else
    return static_cast<long>(value);
}

}  // namespace cow::linux_host
