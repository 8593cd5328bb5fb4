/* A plug-in that loads and answers, then misbehaves on its first fork in
 * the way MISBEHAVE names, or that cannot be loaded at all (BAD_*): the
 * worker must turn each into a finding or a load error, never hurt the
 * oracle. Not a COW implementation: only the failure matters here. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cowcheck/cow_abi.h"

struct cow_instance {
  int unused;
};

static cow_instance the_instance;

static cow_instance *create(const struct cow_config *config) {
  (void)config;
#ifdef BAD_CREATE
  (void)&the_instance;
  return NULL;
#else
  return &the_instance;
#endif
}

static void destroy(cow_instance *in) { (void)in; }

static cow_status fork_(cow_instance *in, uint32_t pid, uint32_t *child) {
  (void)in;
  (void)pid;
  *child = 2;
#if defined(MISBEHAVE_SEGV)
  raise(SIGSEGV);
#elif defined(MISBEHAVE_ABORT)
  abort();
#elif defined(MISBEHAVE_HANG)
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

static cow_status write_(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                         uint32_t value, cow_fault *fault) {
  (void)in, (void)pid, (void)vpn, (void)word, (void)value;
  *fault = COW_FAULT_NONE;
  return COW_OK;
}

static cow_status read_(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                        uint32_t *value) {
  (void)in, (void)pid, (void)vpn, (void)word;
  *value = 0;
  return COW_OK;
}

static cow_status exit_(cow_instance *in, uint32_t pid) {
  (void)in, (void)pid;
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
