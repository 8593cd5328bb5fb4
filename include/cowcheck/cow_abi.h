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
 * The machine: every process has `pages` virtual pages of `words` 32-bit
 * words; process 1 exists at creation with every page private anonymous and
 * every word 0; fork gives the child the next pid (2, 3, ...; a failed fork
 * consumes no pid); at most `procs` processes are live at once; `frames`
 * physical frames back the pages. Version 2 adds exec, vfork, mmap/munmap
 * (private/shared anonymous, text, private/shared file), swap, pins and the
 * kernel's copyout; docs/mechanism.md is the mechanism the oracle expects.
 *
 * Versioning: the table starts with abi_version and struct_size. A newer
 * oracle reads only the fields that struct_size covers (a field past it
 * counts as NULL), so a plug-in built against version 1 keeps working when
 * later versions append entry points. docs/abi.md is the full reference.
 * C99, no C++ in this file. */
#ifndef COWCHECK_COW_ABI_H
#define COWCHECK_COW_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define COW_ABI_VERSION 2u

/* What an operation returned. The oracle compares these with the semantics. */
typedef enum cow_status {
  COW_OK = 0,
  COW_NO_SUCH_PROCESS = 1, /* the pid is not live */
  COW_BAD_ADDRESS = 2,     /* vpn >= pages or word >= words */
  COW_PROT_FAULT = 3,      /* a write to a page that may never be written */
  COW_OUT_OF_MEMORY = 4,   /* no free frame; the operation changed nothing */
  COW_PROC_LIMIT = 5,      /* fork or vfork with `procs` processes live */
  COW_UNSUPPORTED = 6,     /* the plug-in cannot do this op (e.g. an mmap kind it lacks):
                              the oracle stops the run with exit status 2, not a finding */
  /* Version 2. */
  COW_SUSPENDED = 7,   /* the process is stopped in vfork until its child execs or exits */
  COW_KILLED = 8,      /* the OOM killer took the process (oom == COW_OOM_KILL); it exited */
  COW_BUSY = 9,        /* swapout of a pinned frame: it stays in memory */
  COW_NO_SUCH_PIN = 10 /* unpin of an id that is not held */
} cow_status;

/* How the fault an op took was served. When one op takes two (a swap-in,
 * then a COW copy), the COW decision is reported. */
typedef enum cow_fault {
  COW_FAULT_NONE = 0,  /* no fault */
  COW_FAULT_COPY = 1,  /* write fault served by copying a shared frame */
  COW_FAULT_REUSE = 2, /* write fault served by reusing a frame its writer owns alone */
  /* Version 2. */
  COW_FAULT_ZERO_FILL = 3, /* an untouched private anon page got a fresh zeroed frame */
  COW_FAULT_SWAP_IN = 4,   /* a swapped-out page was brought back from its slot */
  COW_FAULT_PAGE_IN = 5    /* a file or shared page was mapped from its object */
} cow_fault;

/* Version 2: what a virtual page is mapped to. */
typedef enum cow_map_kind {
  COW_MAP_NONE = 0,         /* unmapped: every access is COW_BAD_ADDRESS */
  COW_MAP_PRIVATE_ANON = 1, /* copy-on-write anonymous memory, zero-filled on first touch */
  COW_MAP_SHARED_ANON = 2,  /* one object (per mmap call) seen by every mapper */
  COW_MAP_TEXT = 3,         /* the file, read-only, never written, never copied */
  COW_MAP_PRIVATE_FILE = 4, /* the file, copy-on-write */
  COW_MAP_SHARED_FILE = 5   /* the file itself: writes reach every mapper */
} cow_map_kind;

/* Version 2: when a write fault may keep the frame it hit. */
typedef enum cow_reuse_policy {
  COW_REUSE_MAPCOUNT = 0,  /* the frame is mapped by one PTE (Linux <= 5.8) */
  COW_REUSE_PAGECOUNT = 1, /* the frame has one reference of any kind (Linux 5.9) */
  COW_REUSE_EXCLUSIVE = 2  /* the PTE is exclusive, or the refcount is 1 (Linux 5.19) */
} cow_reuse_policy;

/* Version 2: what a fault that finds no free frame does. */
typedef enum cow_oom_policy {
  COW_OOM_ERROR = 0, /* the op returns COW_OUT_OF_MEMORY and changes nothing */
  COW_OOM_KILL = 1   /* the faulting process exits and the op returns COW_KILLED */
} cow_oom_policy;

#define COW_NO_SLOT UINT32_MAX /* cow_pte.slot of a page that is not swapped out */
#define COW_MAX_WORDS 4u       /* words is at most this */

/* The oracle always passes a configuration of its own version, which is at
 * least the plug-in's (it refuses newer plug-ins), so a plug-in may read
 * every field its header declares. */
struct cow_config {
  uint32_t pages;
  uint32_t frames;
  uint32_t procs;
  uint32_t words;
  /* Version 2. */
  uint32_t policy; /* cow_reuse_policy */
  uint32_t oom;    /* cow_oom_policy */
};

/* The white-box view of one page: the frame behind (pid, vpn) and its bits.
 * A version-2 plug-in sets every field. A version-1 plug-in sets the first
 * four, and the oracle completes the rest as they are on a machine of
 * version-1 ops: kind private anon, exclusive = present && writable, slot
 * COW_NO_SLOT. */
struct cow_pte {
  uint32_t present;  /* 0 or 1 */
  uint32_t writable; /* 0 or 1 */
  uint32_t cow;      /* 0 or 1: read-only only because the frame may be shared */
  uint32_t frame;    /* 0 .. frames-1, meaningful when present */
  /* Version 2. */
  uint32_t kind;      /* cow_map_kind */
  uint32_t exclusive; /* 0 or 1: a private page known to be its mapper's alone */
  uint32_t slot;      /* the swap slot when swapped out (not present), else COW_NO_SLOT */
};

/* Version 2: a live process, and whose address space it runs in. */
struct cow_proc {
  uint32_t space;     /* the pid whose page table it uses: its own, or a vfork parent's */
  uint32_t suspended; /* 0 or 1: stopped in vfork */
};

/* Version 2: a held pin. */
struct cow_pin {
  uint32_t frame; /* the frame it holds */
  uint32_t rw;    /* 0 or 1 */
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

  /* ---- Version 2. Every entry point below is optional. An op whose entry
   * point is NULL is one the plug-in does not do: the oracle leaves it out
   * of generated runs, and refuses (exit status 2, naming the entry point)
   * to replay a file that uses it. ---- */

  /* read with the fault it took (swap-in, page-in); used instead of read
   * when present. */
  cow_status (*read_fault)(cow_instance *instance, uint32_t pid, uint32_t vpn, uint32_t word,
                           uint32_t *value, cow_fault *fault);
  cow_status (*exec)(cow_instance *instance, uint32_t pid);
  cow_status (*vfork)(cow_instance *instance, uint32_t pid, uint32_t *child);
  cow_status (*mmap)(cow_instance *instance, uint32_t pid, uint32_t vpn, uint32_t count,
                     cow_map_kind kind);
  cow_status (*munmap)(cow_instance *instance, uint32_t pid, uint32_t vpn, uint32_t count);
  cow_status (*swapout)(cow_instance *instance, uint32_t pid, uint32_t vpn);
  /* `rw` is 0 or 1; `*id` is the new pin's id (1, 2, ... in order taken). */
  cow_status (*pin)(cow_instance *instance, uint32_t pid, uint32_t vpn, uint32_t rw, uint32_t *id,
                    cow_fault *fault);
  /* Reads `word` of the pinned frame into `*value`, then drops the pin. */
  cow_status (*unpin)(cow_instance *instance, uint32_t id, uint32_t word, uint32_t *value);
  cow_status (*copyout)(cow_instance *instance, uint32_t pid, uint32_t vpn, uint32_t word,
                        uint32_t value, cow_fault *fault);
  /* The mapping kinds mmap accepts, as a mask of (1u << cow_map_kind); 0
   * means all five. Kinds outside it are left out of generated runs. */
  uint32_t map_kinds;

  /* White-box, version 2: with pte/frame/free_frames present, a plug-in
   * that provides vfork must provide proc, one that provides swapout must
   * provide slot, one that provides pin must provide pin_view, and one whose
   * mmap takes a shared or file kind must provide frame_cache; otherwise the
   * oracle refuses it at load time. */
  cow_status (*proc)(const cow_instance *instance, uint32_t pid, struct cow_proc *out);
  /* *cache = 1 when the frame holds a page of the file or a shared object. */
  cow_status (*frame_cache)(const cow_instance *instance, uint32_t frame, uint32_t *cache);
  /* Slot s in 0 .. pages*procs-1: its refcount (swap PTEs that name it; 0
   * when free) and its first `words` words. */
  cow_status (*slot)(const cow_instance *instance, uint32_t slot, uint32_t *refcount,
                     uint32_t *contents);
  /* COW_NO_SUCH_PIN for an id not held. */
  cow_status (*pin_view)(const cow_instance *instance, uint32_t id, struct cow_pin *out);
};

/* The size of a version-1 table: what struct_size is at least. */
#define COW_PLUGIN_V1_SIZE (offsetof(struct cow_plugin, free_frames) + sizeof(void *))

/* The one symbol a plug-in exports. */
typedef const struct cow_plugin *(*cow_plugin_entry_fn)(void);
#define COW_PLUGIN_ENTRY "cow_plugin_entry"

#ifdef __cplusplus
}
#endif

#endif /* COWCHECK_COW_ABI_H */
