/* A plug-in that loads and answers (tests/plugins/eager_plugin.c), then
 * misbehaves on its first fork in the way MISBEHAVE names, or that cannot be
 * loaded at all (BAD_*): the worker must turn each into a finding or a load
 * error, never hurt the oracle. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eager_plugin.h"

void eager_on_call(void) {}

int eager_on_create(void) {
#ifdef BAD_CREATE
  return 0;
#else
  return 1;
#endif
}

cow_status eager_on_fork(void) {
#if defined(MISBEHAVE_SEGV)
  raise(SIGSEGV);
#elif defined(MISBEHAVE_ABORT)
  abort();
#elif defined(MISBEHAVE_HANG)
  for (volatile int spin = 0;; spin = spin + 1) {
  }
#elif defined(MISBEHAVE_SLEEP)
  for (;;) pause();
#elif defined(MISBEHAVE_EXIT)
  exit(3);
#elif defined(MISBEHAVE_OOM)
  for (;;) {
    char *p = malloc(1 << 20);
    memset(p, 1, 1 << 20); /* like most C, it never checks for NULL */
  }
#elif defined(MISBEHAVE_STATUS)
  return (cow_status)42;
#endif
  return COW_OK;
}

#ifdef BAD_VERSION
#define ABI_VERSION 99u
#else
#define ABI_VERSION COW_ABI_VERSION
#endif

#ifdef BAD_NO_ENTRY
#define ENTRY cow_plugin_entry_ /* a typo in the one exported name */
#else
#define ENTRY cow_plugin_entry
#endif

const struct cow_plugin *ENTRY(void) { return eager_plugin(ABI_VERSION, "misbehaving"); }
