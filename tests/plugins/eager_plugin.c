/* The answers of the misbehaving test plug-ins (eager_plugin.h). */
#include "eager_plugin.h"

#include <string.h>

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
  if (!eager_on_create()) return NULL;
  if (config->pages > MAX_PAGES || config->words > MAX_WORDS || config->procs > MAX_PROCS)
    return NULL;
  memset(&the_instance, 0, sizeof the_instance);
  the_instance.config = *config;
  the_instance.pid[0] = 1;
  the_instance.next_pid = 2;
  return &the_instance;
}

static void destroy(cow_instance *in) { (void)in; }

static cow_status fork_(cow_instance *in, uint32_t pid, uint32_t *child) {
  eager_on_call();
  int parent = slot_of(in, pid);
  if (parent < 0) return COW_NO_SUCH_PROCESS;
  if ((uint32_t)live_count(in) >= in->config.procs) return COW_PROC_LIMIT;
  cow_status status = eager_on_fork();
  if (status != COW_OK) return status;
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
  eager_on_call();
  int s;
  cow_status status = address(in, pid, vpn, word, &s);
  *fault = COW_FAULT_NONE; /* a black box need not say how it served a write */
  if (status == COW_OK) in->data[s][vpn][word] = value;
  return status;
}

static cow_status read_(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                        uint32_t *value) {
  eager_on_call();
  int s;
  cow_status status = address(in, pid, vpn, word, &s);
  if (status == COW_OK) *value = in->data[s][vpn][word];
  return status;
}

static cow_status exit_(cow_instance *in, uint32_t pid) {
  eager_on_call();
  int s = slot_of(in, pid);
  if (s < 0) return COW_NO_SUCH_PROCESS;
  in->pid[s] = 0;
  return COW_OK;
}

const struct cow_plugin *eager_plugin(uint32_t abi_version, const char *name) {
  static struct cow_plugin table;
  table.abi_version = abi_version;
  table.struct_size = sizeof(struct cow_plugin);
  table.name = name;
  table.create = create;
  table.destroy = destroy;
  table.fork = fork_;
  table.write = write_;
  table.read = read_;
  table.exit = exit_;
  return &table;
}
