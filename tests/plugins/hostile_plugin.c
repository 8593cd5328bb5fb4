/* A black-box plug-in, correct as far as its answers go (an eager copy, like
 * the semantics), that attacks its worker in the way HOSTILE_* says:
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
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cowcheck/cow_abi.h"

#define MAX_PROCS 64
#define MAX_PAGES 64
#define MAX_WORDS 4

struct cow_instance {
  struct cow_config config;
  uint32_t next_pid;
  uint32_t pid[MAX_PROCS]; /* 0: free slot */
  uint32_t data[MAX_PROCS][MAX_PAGES][MAX_WORDS];
};

static cow_instance the_instance;
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

static void on_call(void) {
#ifdef HOSTILE_SPIN_AT_50
  if (++calls == 50) spin();
#else
  ++calls;
#endif
}

static int slot_of(const cow_instance *in, uint32_t pid) {
  for (int s = 0; s < MAX_PROCS; ++s)
    if (pid != 0 && in->pid[s] == pid) return s;
  return -1;
}

static int live_count(const cow_instance *in) {
  int n = 0;
  for (int s = 0; s < MAX_PROCS; ++s) n += in->pid[s] != 0;
  return n;
}

static cow_instance *create(const struct cow_config *config) {
#if defined(HOSTILE_CREATE_SEGV)
  *nowhere = 1;
#elif defined(HOSTILE_CREATE_SLEEP)
  for (;;) pause();
#elif defined(HOSTILE_CREATE_SPIN)
  spin();
#endif
  if (config->pages > MAX_PAGES || config->words > MAX_WORDS || config->procs > MAX_PROCS)
    return NULL;
  memset(&the_instance, 0, sizeof the_instance);
  the_instance.config = *config;
  the_instance.pid[0] = 1;
  the_instance.next_pid = 2;
  return &the_instance;
}

static void destroy(cow_instance *in) { (void)in; }

static void attack_on_fork(void) {
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
}

static cow_status fork_(cow_instance *in, uint32_t pid, uint32_t *child) {
  on_call();
  int parent = slot_of(in, pid);
  if (parent < 0) return COW_NO_SUCH_PROCESS;
  if ((uint32_t)live_count(in) >= in->config.procs) return COW_PROC_LIMIT;
  attack_on_fork();
  int s = 0;
  while (in->pid[s] != 0) ++s; /* a free slot exists: live_count < procs <= MAX_PROCS */
  in->pid[s] = *child = in->next_pid++;
  memcpy(in->data[s], in->data[parent], sizeof in->data[s]);
  return COW_OK;
}

static cow_status address(const cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                          int *slot) {
  *slot = slot_of(in, pid);
  if (*slot < 0) return COW_NO_SUCH_PROCESS;
  if (vpn >= in->config.pages || word >= in->config.words) return COW_BAD_ADDRESS;
  return COW_OK;
}

static cow_status write_(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                         uint32_t value, cow_fault *fault) {
  on_call();
  int s;
  cow_status status = address(in, pid, vpn, word, &s);
  *fault = COW_FAULT_NONE;
  if (status == COW_OK) in->data[s][vpn][word] = value;
  return status;
}

static cow_status read_(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                        uint32_t *value) {
  on_call();
  int s;
  cow_status status = address(in, pid, vpn, word, &s);
  if (status == COW_OK) *value = in->data[s][vpn][word];
  return status;
}

static cow_status exit_(cow_instance *in, uint32_t pid) {
  on_call();
  int s = slot_of(in, pid);
  if (s < 0) return COW_NO_SUCH_PROCESS;
  in->pid[s] = 0;
  return COW_OK;
}

static const struct cow_plugin plugin = {.abi_version = COW_ABI_VERSION,
                                         .struct_size = sizeof(struct cow_plugin),
                                         .name = "hostile",
                                         .create = create,
                                         .destroy = destroy,
                                         .fork = fork_,
                                         .write = write_,
                                         .read = read_,
                                         .exit = exit_};

const struct cow_plugin *cow_plugin_entry(void) {
#ifdef HOSTILE_ENTRY_SEGV
  *nowhere = 1;
#endif
  return &plugin;
}
