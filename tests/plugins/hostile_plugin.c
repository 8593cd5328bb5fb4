/* A black-box plug-in, correct as far as its answers go (eager_plugin.c),
 * that attacks its worker in the way HOSTILE_* says:
 *   HOSTILE_CTOR_ABORT       its constructor aborts while the library loads
 *   HOSTILE_CTOR_EXIT        its constructor calls exit(4)
 *   HOSTILE_CTOR_SPIN        its constructor never returns (spins)
 *   HOSTILE_ENTRY_SEGV       cow_plugin_entry() dereferences NULL
 *   HOSTILE_CREATE_SEGV      create() dereferences NULL
 *   HOSTILE_CREATE_SLEEP     create() sleeps forever, using no CPU
 *   HOSTILE_CREATE_SPIN      create() spins forever
 *   HOSTILE_FORKS_CHILDREN   every fork op also forks a real child that sleeps
 *   HOSTILE_ABORT_LEAVING_CHILD  a fork op forks a sleeping child (which keeps
 *                            the worker's pipes open), then aborts
 *   HOSTILE_CHILD_ABORTS     a fork op forks a child that aborts, waits for
 *                            it, and answers correctly
 *   HOSTILE_CLOSES_FDS       a fork op closes every descriptor from 3 up
 *   HOSTILE_SPIN_AT_50       its 50th call spins forever
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eager_plugin.h"

static volatile int *nowhere __attribute__((unused));
static unsigned calls;

__attribute__((unused)) static void spin(void) {
  for (volatile unsigned i = 0;; i = i + 1) {
  }
}

#if defined(HOSTILE_CTOR_ABORT) || defined(HOSTILE_CTOR_EXIT) || defined(HOSTILE_CTOR_SPIN)
__attribute__((constructor)) static void on_load(void) {
#if defined(HOSTILE_CTOR_ABORT)
  abort();
#elif defined(HOSTILE_CTOR_EXIT)
  exit(4);
#else
  spin();
#endif
}
#endif

void eager_on_call(void) {
#ifdef HOSTILE_SPIN_AT_50
  if (++calls == 50) spin();
#else
  ++calls;
#endif
}

int eager_on_create(void) {
#if defined(HOSTILE_CREATE_SEGV)
  *nowhere = 1;
#elif defined(HOSTILE_CREATE_SLEEP)
  for (;;) pause();
#elif defined(HOSTILE_CREATE_SPIN)
  spin();
#endif
  return 1;
}

cow_status eager_on_fork(void) {
#if defined(HOSTILE_FORKS_CHILDREN)
  if (fork() == 0)
    for (;;) pause();
#elif defined(HOSTILE_ABORT_LEAVING_CHILD)
  if (fork() == 0)
    for (;;) pause();
  abort();
#elif defined(HOSTILE_CHILD_ABORTS)
  pid_t child = fork();
  if (child == 0) abort();
  if (child > 0) waitpid(child, NULL, 0);
#elif defined(HOSTILE_CLOSES_FDS)
  for (int fd = 3; fd < 1024; ++fd) close(fd);
#endif
  return COW_OK;
}

const struct cow_plugin *cow_plugin_entry(void) {
#ifdef HOSTILE_ENTRY_SEGV
  *nowhere = 1;
#endif
  return eager_plugin(COW_ABI_VERSION, "hostile");
}
