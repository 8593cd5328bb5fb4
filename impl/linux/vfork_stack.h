// A vfork child runs on a stack of its own in its parent's address space,
// and its parent's thread state is its own (the same TLS): AddressSanitizer
// must be told of the switch, as of a fiber's, or it takes the child's
// stack for a stranger's (no unpoisoning at _exit or siglongjmp, hence
// stale poison and false reports in the next child on the same stack). And
// a stack slot keeps the poison of the last child that exec'd or exited on
// it, so it is cleared before each use. Nothing at all without ASan.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#define COWCHECK_VFORK_STACK_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COWCHECK_VFORK_STACK_ASAN 1
#endif
#endif

#ifdef COWCHECK_VFORK_STACK_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace cow::linux_host {

// What the parent hands over, and gets back from the child: where the
// parent's own stack is, so that it can switch back once the child is gone.
struct VforkStack {
  void* fake_stack = nullptr;
  const void* parent_bottom = nullptr;
  std::size_t parent_size = 0;
};

// In the parent, just before clone().
inline void vfork_stack_leave(VforkStack& s, void* child_bottom, std::size_t size) {
#ifdef COWCHECK_VFORK_STACK_ASAN
  ASAN_UNPOISON_MEMORY_REGION(child_bottom, size);
  __sanitizer_start_switch_fiber(&s.fake_stack, child_bottom, size);
#else
  (void)s, (void)child_bottom, (void)size;
#endif
}

// First thing in the child.
inline void vfork_stack_arrive(VforkStack& s) {
#ifdef COWCHECK_VFORK_STACK_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &s.parent_bottom, &s.parent_size);
#else
  (void)s;
#endif
}

// A thread's stack, before its thread starts on it: it may keep the poison
// of the last task that exited on it. A thread cannot be announced like a
// vfork child's switch: it shares its creator's thread-local storage, the
// sanitizer's record of the running thread with it, so the sanitizer warns
// ("ignoring requested __asan_handle_no_return") where such a thread calls
// a function that never returns, and leaves that stack as it was.
inline void thread_stack_clean(void* bottom, std::size_t size) {
#ifdef COWCHECK_VFORK_STACK_ASAN
  ASAN_UNPOISON_MEMORY_REGION(bottom, size);
#else
  (void)bottom, (void)size;
#endif
}

// After a siglongjmp out of a signal handler on a stack the sanitizer does
// not know (a thread's): the frames it skipped keep their poison, which
// the next deeper call would trip on. Clears `below` bytes under `here`.
inline void skipped_frames_clean(const void* here, std::size_t below) {
#ifdef COWCHECK_VFORK_STACK_ASAN
  const char* top = static_cast<const char*>(here);
  ASAN_UNPOISON_MEMORY_REGION(top - below, below);
#else
  (void)here, (void)below;
#endif
}

// In the parent, once clone() returned: the child has exec'd or exited.
inline void vfork_stack_return(VforkStack& s) {
#ifdef COWCHECK_VFORK_STACK_ASAN
  if (s.parent_size == 0) return;  // the child never arrived: clone failed
  __sanitizer_start_switch_fiber(nullptr, s.parent_bottom, s.parent_size);
  __sanitizer_finish_switch_fiber(s.fake_stack, nullptr, nullptr);
#else
  (void)s;
#endif
}

}  // namespace cow::linux_host
