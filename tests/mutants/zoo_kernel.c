/* The plug-in zoo's kernel: examples/c-plugin/kernel.c with one seeded bug
 * per COW_MUTANT_<NAME> switch, each at the place the bug would live. With no
 * switch it is the example's correct kernel; tests/mutants/CMakeLists.txt
 * builds it once per switch, with the example's glue (plugin.c). It is a
 * copy so that the example, which users copy, carries no switches; keep the
 * two in step (the correct paths are the same lines).
 *
 * Every bug is one a real COW fork can have (each comment says how it comes
 * about) and is reachable in a few ops from the start with the default
 * machine (4 pages, 16 frames, 8 processes, 2 words). The ones that crash,
 * hang, exhaust memory or exit do so only a few ops in, never on the first
 * op. tests/mutants/zoo_test.cpp lists each one's shortest trigger. */
#include "kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef COW_MUTANT_ABORT_ON_ASSERT
#undef NDEBUG /* release builds define it; the assert must stay */
#include <assert.h>
#endif

static void panic(const char *why) {
  fprintf(stderr, "panic: %s\n", why);
  abort();
}

/* ---- Frames (xv6 kalloc.c) ---- */

static void freeframe(struct kernel *k, uint32_t frame) {
  uint32_t w;
  for (w = 0; w < k->words; w++) frame2pa(k, frame)[w] = POISON;
  k->refcount[frame] = 0;
  k->next[frame] = k->freelist;
  k->freelist = frame;
  k->nfree++;
}

static uint32_t kalloc(struct kernel *k) {
  uint32_t frame = k->freelist;
  if (frame == NOFRAME) return NOFRAME;
  k->freelist = k->next[frame];
  k->nfree--;
  k->refcount[frame] = 1;
  return frame;
}

static void kdup(struct kernel *k, uint32_t frame) {
  if (k->refcount[frame] == 0) panic("kdup: frame is free");
  k->refcount[frame]++;
}

static void kfree(struct kernel *k, uint32_t frame) {
  if (k->refcount[frame] == 0) panic("kfree: refcount underflow");
  if (--k->refcount[frame] > 0) return;
  freeframe(k, frame);
}

/* ---- Page tables (xv6 vm.c) ---- */

pte_t *walk(const struct kernel *k, pagetable_t pagetable, uint32_t vpn) {
  if (vpn >= k->pages) panic("walk: vpn out of range");
  return &pagetable[vpn];
}

#ifdef COW_MUTANT_OOM_LEAK
/* fork records every new sharer of an already-shared frame, so that a later
 * swap-out can find each PTE; a record carries a page-sized buffer so that
 * swap-out never needs memory. The append walks to the tail and links a new
 * record there, but does not stop: it reaches the record it just linked and
 * appends again, until the worker's memory runs out. */
struct rmap {
  struct rmap *next;
  uint32_t frame;
  unsigned char swapbuf[4096];
};
static struct rmap *rmap_list;

static struct rmap *rmap_new(uint32_t frame) {
  struct rmap *r = malloc(sizeof *r);
  memset(r->swapbuf, 0xa5, sizeof r->swapbuf); /* (a NULL from malloc dies here) */
  r->frame = frame;
  r->next = NULL;
  return r;
}

static void rmap_add(uint32_t frame) {
  struct rmap *r;
  if (!rmap_list) {
    rmap_list = rmap_new(frame);
    return;
  }
  for (r = rmap_list; r; r = r->next)
    if (!r->next) r->next = rmap_new(frame); /* the missing break */
}
#endif

static void uvmcopy(struct kernel *k, pagetable_t parent, pagetable_t child) {
  uint32_t vpn;
  for (vpn = 0; vpn < k->pages; vpn++) {
    pte_t *pte = walk(k, parent, vpn);
    if (!(*pte & PTE_V)) continue;
#ifdef COW_MUTANT_OOM_LEAK
    if (*pte & PTE_COW) rmap_add(PTE2FRAME(*pte));
#endif
#if defined(COW_MUTANT_MISSED_COW)
    /* Only the child's PTE is write-protected; the parent keeps PTE_W (the
     * lecture says "in child and parent"), so its next write lands in a frame
     * its child maps. */
    kdup(k, PTE2FRAME(*pte));
    *walk(k, child, vpn) = (*pte & PTE_W) ? ((*pte & ~PTE_W) | PTE_COW) : *pte;
    continue;
#elif defined(COW_MUTANT_MISSING_COW_BIT)
    /* Both sides lose PTE_W but neither gains PTE_COW (the classic xv6 lab
     * slip): the first write to the shared page is a protection fault, as
     * if the page had never been writable. */
    *pte &= ~PTE_W;
#else
    if (*pte & PTE_W) *pte = (*pte & ~PTE_W) | PTE_COW;
#endif
    kdup(k, PTE2FRAME(*pte));
    *walk(k, child, vpn) = *pte;
  }
}

#ifdef COW_MUTANT_MISSED_COW_GRANDCHILD
/* The port was only ever tested with children of init: a fork of any other
 * process copies the parent's PTEs as they are, so a page its parent made
 * writable by a COW fault is writable in both. */
static void uvmcopy_as_is(struct kernel *k, pagetable_t parent, pagetable_t child) {
  uint32_t vpn;
  for (vpn = 0; vpn < k->pages; vpn++) {
    pte_t *pte = walk(k, parent, vpn);
    if (*pte & PTE_V) kdup(k, PTE2FRAME(*pte));
    *walk(k, child, vpn) = *pte;
  }
}
#endif

static void uvmfree(struct kernel *k, pagetable_t pagetable) {
  uint32_t vpn;
  for (vpn = 0; vpn < k->pages; vpn++) {
    pte_t *pte = walk(k, pagetable, vpn);
#if defined(COW_MUTANT_REFCOUNT_LEAK)
    /* exit drops the references of writable pages only, as if a read-only
     * cow page belonged to whoever it was shared with: every frame still
     * shared at exit keeps a reference nobody holds. */
    if ((*pte & PTE_V) && (*pte & PTE_W)) kfree(k, PTE2FRAME(*pte));
#elif defined(COW_MUTANT_FREE_WHILE_MAPPED)
    /* exit still frees pages the pre-COW way, straight onto the free list
     * (xv6's uvmunmap with do_free), not by dropping one reference: a frame
     * shared with another process is freed while that process maps it. */
    if (*pte & PTE_V) freeframe(k, PTE2FRAME(*pte));
#else
    if (*pte & PTE_V) kfree(k, PTE2FRAME(*pte));
#endif
    *pte = 0;
  }
}

/* ---- The write fault (xv6 trap.c) ---- */

/* Unlike the example's, the zoo's predicate also takes the writer's page
 * table, which only the reuse-by-mapcount mutant reads. */
static int can_reuse(const struct kernel *k, pagetable_t pagetable, uint32_t frame) {
#if defined(COW_MUTANT_UNNECESSARY_COW)
  /* Every cow page is copied, whether or not anyone else still maps it: safe,
   * but a sole owner pays a frame and a copy it did not need. */
  (void)k;
  (void)pagetable;
  (void)frame;
  return 0;
#elif defined(COW_MUTANT_REUSE_BY_MAPCOUNT)
  /* The map count, as Linux used until 5.8, but counted in the writer's own
   * page table: a private page is mapped once there, so every frame looks
   * exclusive and a shared one is written in place. */
  uint32_t vpn, mapcount = 0;
  for (vpn = 0; vpn < k->pages; vpn++)
    if ((pagetable[vpn] & PTE_V) && PTE2FRAME(pagetable[vpn]) == frame) mapcount++;
  return mapcount == 1;
#else
  (void)pagetable;
  return k->refcount[frame] == 1;
#endif
}

static enum cowfault_result cow_reuse(pte_t *pte) {
#ifdef COW_MUTANT_FAULT_LOOP
  /* The reuse path trusts that a sole owner's PTE is already writable and
   * returns without touching it: the store is retried, faults again, and the
   * handler reuses again, forever (a COW fault livelock). */
  (void)pte;
#else
  *pte = (*pte | PTE_W) & ~PTE_COW;
#endif
  return COWFAULT_REUSED;
}

static enum cowfault_result cow_copy(struct kernel *k, pte_t *pte) {
  uint32_t shared = PTE2FRAME(*pte);
  uint32_t copy = kalloc(k);
  if (copy == NOFRAME) return COWFAULT_NOMEM;
#ifdef COW_MUTANT_ABORT_ON_ASSERT
  /* "A shared frame has two owners, parent and child": true until a fork
   * chain shares one three ways. */
  assert(k->refcount[shared] == 2);
#endif
#ifdef COW_MUTANT_WRONG_COW_PARTIAL
  /* The size of one word where the page's was meant (no `k->words *`): the
   * rest of the copy keeps the poison of a free frame. */
  memcpy(frame2pa(k, copy), frame2pa(k, shared), sizeof(uint32_t));
#else
  memcpy(frame2pa(k, copy), frame2pa(k, shared), k->words * sizeof(uint32_t));
#endif
#ifdef COW_MUTANT_WRONG_COW_FRAME
  /* The new PTE is built from the old frame number (the variable next to the
   * right one): the copy is made, and the writer keeps writing the frame it
   * shares. */
  *pte = FRAME2PTE(shared) | ((PTE_FLAGS(*pte) | PTE_W) & ~PTE_COW);
#else
  *pte = FRAME2PTE(copy) | ((PTE_FLAGS(*pte) | PTE_W) & ~PTE_COW);
#endif
  kfree(k, shared);
#ifdef COW_MUTANT_REFCOUNT_UNDERFLOW
  /* A second drop left over from moving the put after the copy: the shared
   * frame loses two references, one of them someone else's. */
  kfree(k, shared);
#endif
  return COWFAULT_COPIED;
}

enum cowfault_result cowfault(struct kernel *k, pagetable_t pagetable, uint32_t vpn) {
  pte_t *pte = walk(k, pagetable, vpn);
  if ((*pte & (PTE_V | PTE_COW)) != (PTE_V | PTE_COW)) return COWFAULT_KILL;
  return can_reuse(k, pagetable, PTE2FRAME(*pte)) ? cow_reuse(pte) : cow_copy(k, pte);
}

/* ---- Processes (xv6 proc.c) ---- */

struct proc *findproc(const struct kernel *k, uint32_t pid) {
  uint32_t i;
  for (i = 0; i < k->nproc; i++)
    if (k->proc[i].state == USED && k->proc[i].pid == pid) return &k->proc[i];
  return NULL;
}

static struct proc *allocproc(struct kernel *k) {
  uint32_t i;
  for (i = 0; i < k->nproc; i++)
    if (k->proc[i].state == UNUSED) return &k->proc[i];
  return NULL;
}

uint32_t kfork(struct kernel *k, struct proc *parent) {
  struct proc *child = allocproc(k);
  if (!child) return 0;
#ifdef COW_MUTANT_MISSED_COW_GRANDCHILD
  if (parent->pid != 1)
    uvmcopy_as_is(k, parent->pagetable, child->pagetable);
  else
#endif
    uvmcopy(k, parent->pagetable, child->pagetable);
  child->pid = k->nextpid++;
  child->state = USED;
  return child->pid;
}

#ifdef COW_MUTANT_CALLS_EXIT
static uint32_t nlive(const struct kernel *k) {
  uint32_t i, n = 0;
  for (i = 0; i < k->nproc; i++) n += k->proc[i].state == USED;
  return n;
}
#endif

void kexit(struct kernel *k, struct proc *p) {
#ifdef COW_MUTANT_CALLS_EXIT
  /* xv6 hands an exiting process's children to init, and panics when init
   * itself exits ("init exiting"). This port panics when init leaves others
   * behind, and its panic is the C library's exit(3): the whole program ends. */
  if (p->pid == 1 && nlive(k) > 1) exit(3);
#endif
  uvmfree(k, p->pagetable);
#ifdef COW_MUTANT_CRASH_RARE_PATH
  /* Freed as xv6's freeproc frees it, but this port allocates page tables at
   * boot only: the next fork that takes this slot writes through NULL. */
  p->pagetable = NULL;
#endif
  p->pid = 0;
  p->state = UNUSED;
}

/* ---- Boot ---- */

int kboot(struct kernel *k, uint32_t pages, uint32_t frames, uint32_t procs, uint32_t words) {
  uint32_t i;
  struct proc *init;
  memset(k, 0, sizeof *k);
  k->pages = pages;
  k->nframes = frames;
  k->nproc = procs;
  k->words = words;
  k->mem = malloc((size_t)frames * words * sizeof *k->mem);
  k->refcount = calloc(frames, sizeof *k->refcount);
  k->next = calloc(frames, sizeof *k->next);
  k->proc = calloc(procs, sizeof *k->proc);
  k->ptes = calloc((size_t)procs * pages, sizeof *k->ptes);
  if (!k->mem || !k->refcount || !k->next || !k->proc || !k->ptes) {
    khalt(k);
    return -1;
  }
  for (i = 0; i < procs; i++) k->proc[i].pagetable = k->ptes + (size_t)i * pages;

  k->freelist = NOFRAME;
  for (i = frames; i-- > 0;) freeframe(k, i);

  init = &k->proc[0];
  init->pid = 1;
  init->state = USED;
  k->nextpid = 2;
  for (i = 0; i < pages; i++) {
    uint32_t frame = kalloc(k);
    memset(frame2pa(k, frame), 0, words * sizeof(uint32_t));
    *walk(k, init->pagetable, i) = FRAME2PTE(frame) | PTE_V | PTE_W;
  }
  return 0;
}

void khalt(struct kernel *k) {
  free(k->mem);
  free(k->refcount);
  free(k->next);
  free(k->proc);
  free(k->ptes);
  memset(k, 0, sizeof *k);
}
