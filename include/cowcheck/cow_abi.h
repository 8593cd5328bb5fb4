/* cowcheck plug-in ABI: how a copy-on-write implementation written in any
 * language is checked by the cowcheck oracle.
 *
 * A plug-in is a shared library that exports one function,
 *
 *     const struct cow_plugin *cow_plugin_entry(void);
 *
 * returning a table of entry points. The oracle never loads the library into
 * itself: a worker process does, and is restarted when the plug-in crashes,
 * hangs, runs out of memory or calls exit(), each of which is a finding.
 *
 * The machine: every process has `pages` private anonymous pages of `words`
 * 32-bit words; process 1 exists at creation with every word 0; fork gives
 * the child the next pid (2, 3, ...; a failed fork consumes no pid); at most
 * `procs` processes are live at once; `frames` physical frames back the pages.
 *
 * Versioning: the table starts with abi_version and struct_size. A newer
 * oracle reads only the fields that struct_size covers, so a plug-in built
 * against version 1 keeps working when later versions append entry points.
 * C99, no C++ in this file. */
#ifndef COWCHECK_COW_ABI_H
#define COWCHECK_COW_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COW_ABI_VERSION 1u

/* What an operation returned. The oracle compares these with the semantics. */
typedef enum cow_status {
  COW_OK = 0,
  COW_NO_SUCH_PROCESS = 1, /* the pid is not live */
  COW_BAD_ADDRESS = 2,     /* vpn >= pages or word >= words */
  COW_PROT_FAULT = 3,      /* a write to a page that may never be written */
  COW_OUT_OF_MEMORY = 4,   /* no free frame; the operation changed nothing */
  COW_PROC_LIMIT = 5,      /* fork with `procs` processes live */
  COW_UNSUPPORTED = 6      /* an optional entry point the plug-in lacks */
} cow_status;

/* How a write was served. */
typedef enum cow_fault {
  COW_FAULT_NONE = 0,  /* the PTE was writable: no fault */
  COW_FAULT_COPY = 1,  /* write fault served by copying a shared frame */
  COW_FAULT_REUSE = 2  /* write fault served by reusing a frame its writer owns alone */
} cow_fault;

struct cow_config {
  uint32_t pages;
  uint32_t frames;
  uint32_t procs;
  uint32_t words;
};

/* The white-box view of one page: the frame behind (pid, vpn) and its bits. */
struct cow_pte {
  uint32_t present;  /* 0 or 1 */
  uint32_t writable; /* 0 or 1 */
  uint32_t cow;      /* 0 or 1: read-only only because the frame may be shared */
  uint32_t frame;    /* 0 .. frames-1, meaningful when present */
};

/* An implementation's own state; the oracle never looks inside. */
typedef struct cow_instance cow_instance;

struct cow_plugin {
  uint32_t abi_version; /* COW_ABI_VERSION the plug-in was built against */
  uint32_t struct_size; /* sizeof(struct cow_plugin) it was built with */
  const char *name;     /* shown in messages */

  /* Required. create returns NULL when it cannot build the machine. */
  cow_instance *(*create)(const struct cow_config *config);
  void (*destroy)(cow_instance *instance);
  cow_status (*fork)(cow_instance *instance, uint32_t pid, uint32_t *child);
  cow_status (*write)(cow_instance *instance, uint32_t pid, uint32_t vpn, uint32_t word,
                      uint32_t value, cow_fault *fault);
  cow_status (*read)(cow_instance *instance, uint32_t pid, uint32_t vpn, uint32_t word,
                     uint32_t *value);
  cow_status (*exit)(cow_instance *instance, uint32_t pid);

  /* Optional (NULL for a black-box plug-in, which is checked on outcomes
   * only). With all three, every invariant is checked after every op. */
  cow_status (*pte)(const cow_instance *instance, uint32_t pid, uint32_t vpn, struct cow_pte *out);
  /* A frame's refcount, and its first `words` words into `contents`. */
  cow_status (*frame)(const cow_instance *instance, uint32_t frame, uint32_t *refcount,
                      uint32_t *contents);
  uint32_t (*free_frames)(const cow_instance *instance);
};

/* The one symbol a plug-in exports. */
typedef const struct cow_plugin *(*cow_plugin_entry_fn)(void);
#define COW_PLUGIN_ENTRY "cow_plugin_entry"

#ifdef __cplusplus
}
#endif

#endif /* COWCHECK_COW_ABI_H */
