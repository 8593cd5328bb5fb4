/* The example plug-in (examples/c-plugin) with its table changed the way
 * VARIANT_* says, to test what the oracle does with each kind of table:
 *   VARIANT_V1              a version-1 table (abi_version 1, the version-1
 *                           struct_size): everything after free_frames unseen
 *   VARIANT_NO_MMAP         no mmap and no munmap entry points
 *   VARIANT_ANON_ONLY       mmap takes private anonymous mappings only
 *   VARIANT_PIN_NO_VIEW     pin without pin_view: refused at load time
 *   VARIANT_BAD_STATUS      unpin answers a status the ABI does not define
 *   VARIANT_BAD_SPACE       proc() puts pid 2 in space 99, which does not exist
 *   VARIANT_SLOW_PTE        pte() spends 1 ms of CPU time on every call
 * and, for a worker that serves run after run (destroy() then create()):
 *   VARIANT_ONE_INSTANCE    create() refuses while another instance is live,
 *                           as a kernel with global state does
 *   VARIANT_CREATE_ONCE     create() refuses after its first call
 *   VARIANT_LEAKS_FRAME     every instance after the first shows one free
 *                           frame fewer (one that destroy() did not free)
 *   VARIANT_HIDDEN_LEAK     every instance after the first writes value + 1:
 *                           state kept across destroy() that no view shows
 *   VARIANT_CRASH_REUSED    every instance after the first dies on fork
 * The example's own cow_plugin_entry is renamed out of the way. */
#define cow_plugin_entry example_cow_plugin_entry
#include "plugin.c"
#undef cow_plugin_entry

#ifdef VARIANT_BAD_STATUS
static cow_status bad_unpin(cow_instance *in, uint32_t id, uint32_t word, uint32_t *value) {
  (void)in;
  (void)id;
  (void)word;
  *value = 0;
  return (cow_status)77;
}
#endif

#ifdef VARIANT_BAD_SPACE
static cow_status bad_proc(const cow_instance *in, uint32_t pid, struct cow_proc *out) {
  cow_status status = plugin_proc(in, pid, out);
  if (status == COW_OK && pid == 2) out->space = 99;
  return status;
}
#endif

#ifdef VARIANT_SLOW_PTE
#include <time.h>
static cow_status slow_pte(const cow_instance *in, uint32_t pid, uint32_t vpn,
                           struct cow_pte *out) {
  struct timespec start, now;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &start);
  do clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < 1000000L);
  return plugin_pte(in, pid, vpn, out);
}
#endif

#if defined(VARIANT_ONE_INSTANCE) || defined(VARIANT_CREATE_ONCE) || \
    defined(VARIANT_LEAKS_FRAME) || defined(VARIANT_HIDDEN_LEAK) || defined(VARIANT_CRASH_REUSED)
#include <signal.h>
static unsigned created; /* in this process, ever */
static unsigned live;    /* instances not destroyed */

static cow_instance *counted_create(const struct cow_config *config) {
#if defined(VARIANT_ONE_INSTANCE)
  if (live > 0) return NULL;
#elif defined(VARIANT_CREATE_ONCE)
  if (created > 0) return NULL;
#endif
  cow_instance *in = plugin_create(config);
  if (in) ++created, ++live;
  return in;
}

static void counted_destroy(cow_instance *in) {
  --live;
  plugin_destroy(in);
}

__attribute__((unused)) static uint32_t leaky_free_frames(const cow_instance *in) {
  uint32_t n = plugin_free_frames(in);
  return created > 1 && n > 0 ? n - 1 : n;
}

__attribute__((unused)) static cow_status leaky_write(cow_instance *in, uint32_t pid, uint32_t vpn,
                                                      uint32_t word, uint32_t value,
                                                      cow_fault *fault) {
  return plugin_write(in, pid, vpn, word, created > 1 ? value + 1 : value, fault);
}

__attribute__((unused)) static cow_status crashing_fork(cow_instance *in, uint32_t pid,
                                                        uint32_t *child) {
  if (created > 1) raise(SIGSEGV);
  return plugin_fork(in, pid, child);
}
#endif

static struct cow_plugin variant;

COW_EXPORT const struct cow_plugin *cow_plugin_entry(void) {
  variant = plugin;
#if defined(VARIANT_V1)
  variant.abi_version = 1;
  variant.struct_size = COW_PLUGIN_V1_SIZE;
#elif defined(VARIANT_NO_MMAP)
  variant.mmap = NULL;
  variant.munmap = NULL;
#elif defined(VARIANT_ANON_ONLY)
  variant.map_kinds = 1u << COW_MAP_PRIVATE_ANON;
#elif defined(VARIANT_PIN_NO_VIEW)
  variant.pin_view = NULL;
#elif defined(VARIANT_BAD_STATUS)
  variant.unpin = bad_unpin;
#elif defined(VARIANT_BAD_SPACE)
  variant.proc = bad_proc;
#elif defined(VARIANT_SLOW_PTE)
  variant.pte = slow_pte;
#elif defined(VARIANT_ONE_INSTANCE) || defined(VARIANT_CREATE_ONCE)
  variant.create = counted_create;
  variant.destroy = counted_destroy;
#elif defined(VARIANT_LEAKS_FRAME)
  variant.create = counted_create;
  variant.destroy = counted_destroy;
  variant.free_frames = leaky_free_frames;
#elif defined(VARIANT_HIDDEN_LEAK)
  variant.create = counted_create;
  variant.destroy = counted_destroy;
  variant.write = leaky_write;
#elif defined(VARIANT_CRASH_REUSED)
  variant.create = counted_create;
  variant.destroy = counted_destroy;
  variant.fork = crashing_fork;
#endif
  return &variant;
}
