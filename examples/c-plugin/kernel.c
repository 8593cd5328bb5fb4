/* The kernel's copy-on-write fork, xv6 style: frames with reference counts,
 * a page table per process, fork that shares instead of copying, and a
 * write-fault handler that reads "can reuse? reuse : copy". */
#include "kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A broken invariant stops loudly, as xv6's panic does: the oracle reports a
 * crash at the op that broke it, not a wrong value many ops later. */
static void panic(const char *why) {
  fprintf(stderr, "panic: %s\n", why);
  abort();
}

/* ---- Frames (xv6 kalloc.c) ---- */

/* Puts an unreferenced frame on the free list, poisoned, so that a process
 * still mapping it by mistake reads garbage at once. */
static void freeframe(struct kernel *k, uint32_t frame) {
  uint32_t w;
  for (w = 0; w < k->words; w++) frame2pa(k, frame)[w] = POISON;
  k->refcount[frame] = 0;
  k->next[frame] = k->freelist;
  k->freelist = frame;
  k->nfree++;
}

/* A free frame whose one reference is the caller's, or NOFRAME. Its
 * contents are poison: the caller fills every word. */
static uint32_t kalloc(struct kernel *k) {
  uint32_t frame = k->freelist;
  if (frame == NOFRAME) return NOFRAME;
  k->freelist = k->next[frame];
  k->nfree--;
  k->refcount[frame] = 1;
  return frame;
}

/* One more PTE maps a frame in use. */
static void kdup(struct kernel *k, uint32_t frame) {
  if (k->refcount[frame] == 0) panic("kdup: frame is free");
  k->refcount[frame]++;
}

/* One PTE fewer maps the frame; the last one frees it. With copy-on-write
 * this is the only way a mapped frame is freed: a frame may be shared, so
 * whoever drops it cannot know it was the last user without the count. */
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

/* Gives `child` the pages of `parent` without copying them. Each frame gains
 * a reference, and a writable page becomes read-only with PTE_COW in both
 * tables, so that the first write on either side faults and is copied. A
 * page that is already read-only stays so: its cow bit is already set. */
static void uvmcopy(struct kernel *k, pagetable_t parent, pagetable_t child) {
  uint32_t vpn;
  for (vpn = 0; vpn < k->pages; vpn++) {
    pte_t *pte = walk(k, parent, vpn);
    if (!(*pte & PTE_V)) continue;
    if (*pte & PTE_W) *pte = (*pte & ~PTE_W) | PTE_COW;
    kdup(k, PTE2FRAME(*pte));
    *walk(k, child, vpn) = *pte;
  }
}

/* Unmaps every page, dropping its reference: a frame the page shared with
 * another process stays, the last reference frees it. */
static void uvmfree(struct kernel *k, pagetable_t pagetable) {
  uint32_t vpn;
  for (vpn = 0; vpn < k->pages; vpn++) {
    pte_t *pte = walk(k, pagetable, vpn);
    if (*pte & PTE_V) kfree(k, PTE2FRAME(*pte));
    *pte = 0;
  }
}

/* ---- The write fault (xv6 trap.c) ---- */

/* May the writer keep the frame and write it in place? Only when its PTE
 * holds the frame's one reference: then no other process can see the write,
 * and a copy would only waste a frame. A pure predicate, so it can be read
 * and checked alone. Linux changed this rule three times (the map count until
 * 5.8, CVE-2020-29374; the page count in 5.9; an exclusive bit in 5.19). */
static int can_reuse(const struct kernel *k, uint32_t frame) { return k->refcount[frame] == 1; }

/* The writer owns the frame alone: make its PTE writable and drop PTE_COW,
 * so later writes do not fault. */
static enum cowfault_result cow_reuse(pte_t *pte) {
  *pte = (*pte | PTE_W) & ~PTE_COW;
  return COWFAULT_REUSED;
}

/* The frame is shared: move the writer to a copy of the whole page (the
 * store changes one word; the others must still hold what it saw), then drop
 * its reference to the shared frame. With no free frame nothing changes, so
 * the store fails cleanly and may be retried. */
static enum cowfault_result cow_copy(struct kernel *k, pte_t *pte) {
  uint32_t shared = PTE2FRAME(*pte);
  uint32_t copy = kalloc(k);
  if (copy == NOFRAME) return COWFAULT_NOMEM;
  memcpy(frame2pa(k, copy), frame2pa(k, shared), k->words * sizeof(uint32_t));
  *pte = FRAME2PTE(copy) | ((PTE_FLAGS(*pte) | PTE_W) & ~PTE_COW);
  kfree(k, shared);
  return COWFAULT_COPIED;
}

/* The handler decides, then acts. A read-only page without PTE_COW was
 * never meant to be written: that is the process's fault, not ours. */
enum cowfault_result cowfault(struct kernel *k, pagetable_t pagetable, uint32_t vpn) {
  pte_t *pte = walk(k, pagetable, vpn);
  if ((*pte & (PTE_V | PTE_COW)) != (PTE_V | PTE_COW)) return COWFAULT_KILL;
  return can_reuse(k, PTE2FRAME(*pte)) ? cow_reuse(pte) : cow_copy(k, pte);
}

/* ---- Processes (xv6 proc.c) ---- */

struct proc *findproc(const struct kernel *k, uint32_t pid) {
  uint32_t i;
  for (i = 0; i < k->nproc; i++)
    if (k->proc[i].state == USED && k->proc[i].pid == pid) return &k->proc[i];
  return NULL;
}

/* A free slot, or NULL when `nproc` processes are live. */
static struct proc *allocproc(struct kernel *k) {
  uint32_t i;
  for (i = 0; i < k->nproc; i++)
    if (k->proc[i].state == UNUSED) return &k->proc[i];
  return NULL;
}

uint32_t kfork(struct kernel *k, struct proc *parent) {
  struct proc *child = allocproc(k);
  if (!child) return 0;
  uvmcopy(k, parent->pagetable, child->pagetable);
  child->pid = k->nextpid++;
  child->state = USED;
  return child->pid;
}

void kexit(struct kernel *k, struct proc *p) {
  uvmfree(k, p->pagetable);
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

  /* Every frame starts free. Freed from the top down, so kalloc hands out
   * frame 0 first and process 1's pages are frames 0.., easy to read in a
   * replay. */
  k->freelist = NOFRAME;
  for (i = frames; i-- > 0;) freeframe(k, i);

  /* Process 1 (xv6's userinit): each page in its own zeroed frame. */
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
