/* A plug-in that loads and answers, then misbehaves on its first fork in
 * the way MISBEHAVE names, or that cannot be loaded at all (BAD_*): the
 * worker must turn each into a finding or a load error, never hurt the
 * oracle. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cowcheck/cow_abi.h"

/* Correct as a black box (an eager copy, like the semantics), so that the
 * only finding is the misbehaviour itself. */
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
#ifdef BAD_CREATE
  (void)config;
  (void)&the_instance;
  return NULL;
#else
  if (config->pages > MAX_PAGES || config->words > MAX_WORDS || config->procs > MAX_PROCS)
    return NULL;
  memset(&the_instance, 0, sizeof the_instance);
  the_instance.config = *config;
  the_instance.pid[0] = 1;
  the_instance.next_pid = 2;
  return &the_instance;
#endif
}

static void destroy(cow_instance *in) { (void)in; }

static void misbehave(void) {
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
#endif
}

static cow_status fork_(cow_instance *in, uint32_t pid, uint32_t *child) {
  int parent = slot_of(in, pid);
  if (parent < 0) return COW_NO_SUCH_PROCESS;
  if ((uint32_t)live_count(in) >= in->config.procs) return COW_PROC_LIMIT;
  misbehave();
#ifdef MISBEHAVE_STATUS
  return (cow_status)42;
#endif
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
  int s;
  cow_status status = address(in, pid, vpn, word, &s);
  *fault = COW_FAULT_NONE; /* a black box need not say how it served a write */
  if (status == COW_OK) in->data[s][vpn][word] = value;
  return status;
}

static cow_status read_(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                        uint32_t *value) {
  int s;
  cow_status status = address(in, pid, vpn, word, &s);
  if (status == COW_OK) *value = in->data[s][vpn][word];
  return status;
}

static cow_status exit_(cow_instance *in, uint32_t pid) {
  int s = slot_of(in, pid);
  if (s < 0) return COW_NO_SUCH_PROCESS;
  in->pid[s] = 0;
  return COW_OK;
}

static const struct cow_plugin plugin = {
#ifdef BAD_VERSION
    99u,
#else
    COW_ABI_VERSION,
#endif
    sizeof(struct cow_plugin), "misbehaving", create, destroy, fork_, write_, read_, exit_,
    NULL, NULL, NULL};

#ifdef BAD_NO_ENTRY
/* A typo in the one exported name. */
const struct cow_plugin *cow_plugin_entry_(void) { return &plugin; }
#else
const struct cow_plugin *cow_plugin_entry(void) { return &plugin; }
#endif
