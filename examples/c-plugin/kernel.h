/* An xv6-style kernel cut down to what copy-on-write needs: physical frames
 * with reference counts (xv6's kalloc.c), one page table per address space
 * with a mapping kind per page (vm.c), fork, vfork, exec and exit (proc.c),
 * the page-fault handler (trap.c), the kernel's copyout, long-term pins
 * (get_user_pages), swap with a reverse map, and one file plus shared
 * anonymous objects whose pages are cached in frames.
 *
 * It knows nothing of cowcheck. plugin.c is the page of glue that exposes it
 * through the plug-in ABI; wrapping your own kernel means rewriting that
 * file, not this one. C99. */
#ifndef COW_EXAMPLE_KERNEL_H
#define COW_EXAMPLE_KERNEL_H

#include <stddef.h>
#include <stdint.h>

/* A page-table entry, laid out as on RISC-V (xv6's riscv.h): flags in the
 * low bits, the frame number from bit 10, so frame numbers have 22 bits.
 * A PTE without PTE_V but with PTE_SWAP is a swap entry (the hardware
 * ignores the other bits of an invalid PTE): the slot number is where the
 * frame number would be, and W/COW/EXCL keep what they were. Nothing
 * outside these macros shifts PTE bits. */
typedef uint32_t pte_t;
typedef pte_t *pagetable_t; /* one level: `pages` PTEs indexed by vpn */

#define PTE_V (1u << 0)    /* valid: the page is mapped */
#define PTE_SWAP (1u << 1) /* when not valid: a swap entry */
#define PTE_W (1u << 2)    /* writable: a store goes straight to the frame */
#define PTE_COW (1u << 8)  /* software bit: read-only only because the frame may be shared */
#define PTE_EXCL (1u << 9) /* software bit: a private page known to be its mapper's alone */
#define PTE_FLAGS(pte) ((pte)&0x3ffu)
#define PTE2FRAME(pte) ((uint32_t)(pte) >> 10)
#define FRAME2PTE(frame) ((pte_t)(frame) << 10)
#define PTE2SLOT(pte) PTE2FRAME(pte)
#define SLOT2PTE(slot) FRAME2PTE(slot)
#define MAXFRAMES (1u << 22)

#define NOFRAME UINT32_MAX /* kalloc's "no free frame"; never a frame number */
#define NOSLOT UINT32_MAX
#define NOOBJ UINT32_MAX
#define FILE_OBJECT 0u /* object 0 is the file */

/* Freed frames are filled with this, so a process that still maps a freed
 * frame reads a value no program wrote (cowcheck prints it as "poison"). */
#define POISON 0xdeadbeefu

/* What a virtual page maps (the numbers are the ABI's, for the glue). */
enum mapkind {
  MAP_NONE,
  MAP_PRIVATE_ANON,
  MAP_SHARED_ANON,
  MAP_TEXT,
  MAP_PRIVATE_FILE,
  MAP_SHARED_FILE
};

static inline int kind_private(enum mapkind k) {
  return k == MAP_PRIVATE_ANON || k == MAP_PRIVATE_FILE;
}

/* When a write fault may keep the frame: Linux's three answers. */
enum reuse_policy { REUSE_MAPCOUNT, REUSE_PAGECOUNT, REUSE_EXCLUSIVE };

/* What a fault that finds no free frame does to the faulting process. */
enum oom_policy { OOM_ERROR, OOM_KILL };

/* What a kernel call returned. */
enum kerr { K_OK, K_NOMEM, K_PROCLIMIT, K_BADADDR, K_PROT, K_BUSY, K_NOPIN, K_KILLED };

/* How a fault was served (the COW decision wins when there were two). */
enum kfault { KF_NONE, KF_COPY, KF_REUSE, KF_ZERO, KF_SWAPIN, KF_PAGEIN };

enum procstate { UNUSED, USED };

struct vma {
  uint32_t kind;   /* enum mapkind */
  uint32_t object; /* the object of a shared anon page; FILE_OBJECT for file kinds */
};

/* An address space: processes run in one (a vfork child in its parent's). */
struct space {
  uint32_t users; /* processes running in it; 0: the slot is free */
  pagetable_t pagetable;
  struct vma *vmas; /* `pages` of them */
};

struct proc {
  enum procstate state;
  uint32_t pid;
  uint32_t space;        /* index into spaces */
  uint32_t vfork_parent; /* the pid suspended until this one execs or exits, or 0 */
  uint32_t suspended_by; /* the vfork child this one waits for, or 0 */
};

/* The file, or one shared anonymous mapping: `pages` pages, each in its
 * backing store or cached in one frame. */
struct object {
  int live;
  uint32_t maps;   /* vmas that name it */
  uint32_t cached; /* its pages in frames */
  uint32_t *data;  /* backing store: pages * words */
  uint32_t *frame; /* per page: the cache frame, or NOFRAME */
};

struct pin {
  uint32_t id;
  uint32_t frame;
  uint32_t rw;
};

struct kernel {
  /* The machine: every space has `pages` pages of `words` words. */
  uint32_t pages;
  uint32_t nframes;
  uint32_t nproc;
  uint32_t words;
  enum reuse_policy policy;
  enum oom_policy oom;

  /* Frames (kalloc.c). A frame is free exactly when its refcount is 0, and
   * then it is on the free list. refcount = PTEs that map it + pins. */
  uint32_t *mem; /* physical memory: nframes pages of `words` words */
  uint32_t *refcount;
  uint32_t *pincount;  /* pins that hold each frame */
  uint32_t *cache_obj; /* the object a cache frame holds a page of, or NOOBJ */
  uint32_t *cache_page;
  uint32_t *next;    /* the free list, linked through next[] */
  uint32_t freelist; /* the first free frame, or NOFRAME */
  uint32_t nfree;

  /* Swap: nslots = pages * nproc slots, refcount = swap PTEs naming it. */
  uint32_t nslots;
  uint32_t *slotref;
  uint32_t *slotmem;

  /* Objects: the file and the shared anonymous ones, recycled when nothing
   * maps or caches them. */
  uint32_t nobjects;
  struct object *objects;

  /* Processes and spaces (proc.c), allocated at boot so that fork never
   * needs host memory. */
  struct proc *proc;    /* nproc slots */
  struct space *spaces; /* nproc slots */
  pte_t *ptes;
  struct vma *vmas;
  uint32_t nextpid;

  /* Pins, in the order taken. */
  struct pin *pins;
  uint32_t npins, pincap;
  uint32_t nextpin;
};

/* The words of a frame: xv6's PTE2PA, with frames as array slices. */
static inline uint32_t *frame2pa(const struct kernel *k, uint32_t frame) {
  return k->mem + (size_t)frame * k->words;
}

/* Boots the machine: every frame free, then process 1 with each page private
 * anonymous in its own zeroed, writable frame. The caller has checked pages
 * <= frames <= MAXFRAMES, pages * procs < MAXFRAMES and that nothing is 0.
 * Returns -1, with nothing held, when host memory runs out. */
int kboot(struct kernel *k, uint32_t pages, uint32_t frames, uint32_t procs, uint32_t words,
          enum reuse_policy policy, enum oom_policy oom);
/* Gives back the host memory kboot took. */
void khalt(struct kernel *k);

/* The live process with this pid, or NULL. */
struct proc *findproc(const struct kernel *k, uint32_t pid);
/* The PTE for vpn < pages in a page table. */
pte_t *walk(const struct kernel *k, pagetable_t pagetable, uint32_t vpn);
/* The page table a process runs on, and its mappings. */
pagetable_t proc_pagetable(const struct kernel *k, const struct proc *p);
const struct vma *proc_vma(const struct kernel *k, const struct proc *p, uint32_t vpn);
/* The pid whose space a process runs in (itself, or its vfork ancestor). */
uint32_t space_owner(const struct kernel *k, const struct proc *p);

/* fork: a child that shares every private frame of `parent` copy-on-write
 * (K_OK and *child), K_PROCLIMIT, or K_NOMEM (pinned pages copied at once
 * found too few frames). A failed fork consumes no pid. */
enum kerr kfork(struct kernel *k, struct proc *parent, uint32_t *child);
/* vfork: the child runs in the parent's space; the parent is suspended. */
enum kerr kvfork(struct kernel *k, struct proc *parent, uint32_t *child);
/* Ends the process: the space goes with its last user. Pins stay. */
void kexit(struct kernel *k, struct proc *p);
/* A fresh space: every page private anonymous, nothing present. */
void kexec(struct kernel *k, struct proc *p);
/* mmap with MAP_FIXED over [vpn, vpn+count), and munmap. K_BADADDR for an
 * empty range or one past the space. */
enum kerr kmmap(struct kernel *k, struct proc *p, uint32_t vpn, uint32_t count, enum mapkind kind);
enum kerr kmunmap(struct kernel *k, struct proc *p, uint32_t vpn, uint32_t count);

/* The page-fault handler (usertrap's): brings the page in for a load
 * (write = 0) or a store (write = 1), breaking COW for a store. K_PROT for a
 * store to text; K_NOMEM when a frame was needed and none is free, having
 * changed nothing, or K_KILLED when the OOM policy then killed p. */
enum kerr vmfault(struct kernel *k, struct proc *p, uint32_t vpn, int write, enum kfault *fault);
/* The kernel's store into a user page (xv6's copyout), which must take the
 * same COW path as the user's own store. */
enum kerr copyout(struct kernel *k, struct proc *p, uint32_t vpn, uint32_t word, uint32_t value,
                  enum kfault *fault);
/* A long-term pin of the page's frame (get_user_pages with FOLL_PIN). */
enum kerr kpin(struct kernel *k, struct proc *p, uint32_t vpn, int rw, uint32_t *id,
               enum kfault *fault);
/* Reads a word through the pin, then drops it. K_NOPIN, K_BADADDR. */
enum kerr kunpin(struct kernel *k, uint32_t id, uint32_t word, uint32_t *value);
/* Evicts the page's frame: K_OK (also when not present), K_BUSY when pinned. */
enum kerr kswapout(struct kernel *k, struct proc *p, uint32_t vpn);

/* The pin with this id, or NULL. */
const struct pin *findpin(const struct kernel *k, uint32_t id);

#endif /* COW_EXAMPLE_KERNEL_H */
