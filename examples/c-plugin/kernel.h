/* An xv6-style kernel cut down to what copy-on-write fork needs: physical
 * frames with reference counts (xv6's kalloc.c), one page table per process
 * (vm.c), fork and exit (proc.c) and the write-fault handler (trap.c).
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
 * Nothing outside these macros shifts PTE bits. */
typedef uint32_t pte_t;
typedef pte_t *pagetable_t; /* one level: `pages` PTEs indexed by vpn */

#define PTE_V (1u << 0)   /* valid: the page is mapped */
#define PTE_W (1u << 2)   /* writable: a store goes straight to the frame */
#define PTE_COW (1u << 8) /* software bit: read-only only because the frame may be shared */
#define PTE_FLAGS(pte) ((pte) & 0x3ffu)
#define PTE2FRAME(pte) ((uint32_t)(pte) >> 10)
#define FRAME2PTE(frame) ((pte_t)(frame) << 10)
#define MAXFRAMES (1u << 22)

#define NOFRAME UINT32_MAX /* kalloc's "no free frame"; never a frame number */

/* Freed frames are filled with this, so a process that still maps a freed
 * frame reads a value no program wrote (cowcheck prints it as "poison"). */
#define POISON 0xdeadbeefu

enum procstate { UNUSED, USED };

struct proc {
  enum procstate state;
  uint32_t pid;
  pagetable_t pagetable;
};

struct kernel {
  /* The machine: every process has `pages` pages of `words` words. */
  uint32_t pages;
  uint32_t nframes;
  uint32_t nproc;
  uint32_t words;

  /* Frames (kalloc.c). A frame is free exactly when its refcount is 0, and
   * then it is on the free list. */
  uint32_t *mem;      /* physical memory: nframes pages of `words` words */
  uint32_t *refcount; /* how many PTEs map each frame */
  uint32_t *next;     /* the free list, linked through next[] */
  uint32_t freelist;  /* the first free frame, or NOFRAME */
  uint32_t nfree;

  /* Processes (proc.c). Page tables live in `ptes`, one slice per slot,
   * allocated at boot so that fork never needs host memory. */
  struct proc *proc; /* nproc slots */
  pte_t *ptes;
  uint32_t nextpid;
};

/* How the write-fault handler served a store to a read-only page. */
enum cowfault_result {
  COWFAULT_REUSED, /* the writer owned the frame alone and writes it in place */
  COWFAULT_COPIED, /* the writer moved to a private copy of a shared frame */
  COWFAULT_NOMEM,  /* a copy was needed and no frame is free; nothing changed */
  COWFAULT_KILL    /* not a copy-on-write page: xv6 would kill the process */
};

/* The words of a frame: xv6's PTE2PA, with frames as array slices. */
static inline uint32_t *frame2pa(const struct kernel *k, uint32_t frame) {
  return k->mem + (size_t)frame * k->words;
}

/* Boots the machine: every frame free, then process 1 with each page in its
 * own zeroed, writable frame. The caller has checked pages <= frames <=
 * MAXFRAMES and that nothing is 0. Returns -1, with nothing held, when host
 * memory runs out. */
int kboot(struct kernel *k, uint32_t pages, uint32_t frames, uint32_t procs, uint32_t words);
/* Gives back the host memory kboot took. */
void khalt(struct kernel *k);

/* The live process with this pid, or NULL. */
struct proc *findproc(const struct kernel *k, uint32_t pid);
/* A child that shares every frame of `parent`, copy-on-write. Returns its
 * pid, or 0 when every slot is in use (a failed fork consumes no pid). */
uint32_t kfork(struct kernel *k, struct proc *parent);
/* Drops every page's reference and frees the slot. */
void kexit(struct kernel *k, struct proc *p);

/* The PTE for vpn < pages in a page table. */
pte_t *walk(const struct kernel *k, pagetable_t pagetable, uint32_t vpn);
/* The write-fault handler, called for a store to a read-only page. On
 * REUSED or COPIED the PTE is writable afterwards. */
enum cowfault_result cowfault(struct kernel *k, pagetable_t pagetable, uint32_t vpn);

#endif /* COW_EXAMPLE_KERNEL_H */
