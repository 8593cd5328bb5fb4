/* The example plug-in with one thing added, chosen by a macro, to test what
 * `replay` does with a library before it has answered a single op:
 *   MARKER       its constructor creates the file $COWCHECK_TEST_MARKER
 *                (so a test sees whether the library was loaded at all)
 *   CTOR_ABORT   its constructor aborts
 *   CTOR_EXIT    its constructor exits: the worker exits at once
 *   CREATE_SEGV  create() crashes
 *   CREATE_HANG  create() never returns */
#define _POSIX_C_SOURCE 200809L
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#define cow_plugin_entry example_plugin_entry
#include "plugin.c"
#undef cow_plugin_entry

static struct cow_plugin table;

static cow_instance *dying_create(const struct cow_config *config) {
#if defined(CREATE_SEGV)
  raise(SIGSEGV);
#elif defined(CREATE_HANG)
  for (volatile int spin = 1; spin;) {
  }
#endif
  return example_plugin_entry()->create(config);
}

__attribute__((constructor)) static void on_load(void) {
#if defined(MARKER)
  const char *marker = getenv("COWCHECK_TEST_MARKER");
  if (marker) close(open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0644));
#elif defined(CTOR_ABORT)
  abort();
#elif defined(CTOR_EXIT)
  exit(3);
#endif
}

COW_EXPORT const struct cow_plugin *cow_plugin_entry(void) {
  table = *example_plugin_entry();
  table.create = dying_create;
  return &table;
}
