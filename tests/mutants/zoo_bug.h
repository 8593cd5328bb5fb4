/* Which seeded bug a zoo build of examples/c-plugin/kernel.c has, and the
 * code of the bugs that take more than a line there. kernel.c includes this
 * header when COW_ZOO_BUG is defined; tests/mutants/CMakeLists.txt defines
 * it as ZOO_NAME, one of the enumerators below. */
#ifndef COWCHECK_ZOO_BUG_H
#define COWCHECK_ZOO_BUG_H

#include <stdlib.h>
#include <string.h>

#include "kernel.h"

/* One per row of zoo_mutants.def: a hook in kernel.c that names no row
 * does not compile. */
enum zoo_bug {
#define ZOO_MUTANT(name, caught_by, trigger, bug) ZOO_##name,
#include "zoo_mutants.def"
#undef ZOO_MUTANT
};

#define ZOO_BUG(name) (COW_ZOO_BUG == ZOO_##name)
#define ZOO_DO(name, call) (ZOO_BUG(name) ? (call) : (void)0)

/* oom-leak: fork records every new sharer of an already-shared frame so
 * that a later swap-out can find each PTE, and a record carries a page-sized
 * buffer so that swap-out never needs memory. The append walks to the tail
 * and links a new record there, but does not stop: it reaches the record it
 * just linked and appends again, until the worker's memory runs out. */
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

static void rmap_add(pte_t pte) {
  struct rmap *r;
  if (!(pte & PTE_COW)) return; /* not shared yet */
  if (!rmap_list) {
    rmap_list = rmap_new(PTE2FRAME(pte));
    return;
  }
  for (r = rmap_list; r; r = r->next)
    if (!r->next) r->next = rmap_new(PTE2FRAME(pte)); /* the missing break */
}

/* calls-exit: xv6 hands an exiting process's children to init, and panics
 * when init itself exits ("init exiting"). This port panics when init
 * leaves others behind, and its panic is the C library's exit(3): the whole
 * program ends. */
static void panic_if_init_leaves_others(const struct kernel *k, const struct proc *p) {
  uint32_t i, live = 0;
  for (i = 0; i < k->nproc; i++) live += k->proc[i].state == USED;
  if (p->pid == 1 && live > 1) exit(3);
}

#endif /* COWCHECK_ZOO_BUG_H */
