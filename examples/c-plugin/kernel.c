/* The kernel's copy-on-write, xv6 style: frames with reference counts, a
 * page table per address space, fork that shares instead of copying, and a
 * fault handler that reads "can reuse? reuse : copy"; then what a real
 * kernel adds around it: exec and vfork, mmap of anonymous, shared and file
 * memory, swap with a reverse map, long-term pins, and copyout. The
 * mechanism is docs/mechanism.md, rule by rule. */
#include "kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hooks for the plug-in zoo (tests/mutants/zoo_mutants.def), which builds
 * this file once per seeded bug: in the build of bug NAME, ZOO_BUG(NAME) is
 * true and ZOO_DO(NAME, call) makes the call (tests/mutants/zoo_bug.h). Here
 * both are nothing, and this is the correct kernel. */
#ifdef COW_ZOO_BUG
#include "zoo_bug.h"
#else
#define ZOO_BUG(name) 0
#define ZOO_DO(name, call) ((void)0)
#endif

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

/* One more reference to a frame in use. */
static void kdup(struct kernel *k, uint32_t frame) {
  if (k->refcount[frame] == 0) panic("kdup: frame is free");
  k->refcount[frame]++;
}

/* One reference fewer; the last one frees the frame. With copy-on-write this
 * is the only way a mapped frame is freed: a frame may be shared, so whoever
 * drops it cannot know it was the last user without the count. */
static void kfree(struct kernel *k, uint32_t frame) {
  if (k->refcount[frame] == 0) panic("kfree: refcount underflow");
  if (--k->refcount[frame] > 0) return;
  freeframe(k, frame);
}

/* ---- Objects: the file and shared anonymous memory (the page cache) ---- */

static void obj_maybe_free(struct kernel *k, uint32_t id) {
  struct object *o = &k->objects[id];
  if (id == FILE_OBJECT || o->maps || o->cached) return;
  free(o->data);
  free(o->frame);
  memset(o, 0, sizeof *o);
}

/* A new object of `pages` pages, every word `file ? file word : 0`. */
static uint32_t obj_create(struct kernel *k, int file) {
  uint32_t id, p, w;
  struct object *o;
  for (id = 0; id < k->nobjects && k->objects[id].live; id++) continue;
  if (id == k->nobjects) panic("obj_create: no object slot");
  o = &k->objects[id];
  o->data = malloc((size_t)k->pages * k->words * sizeof *o->data);
  o->frame = malloc((size_t)k->pages * sizeof *o->frame);
  if (!o->data || !o->frame) panic("obj_create: out of host memory");
  for (p = 0; p < k->pages; p++) {
    o->frame[p] = NOFRAME;
    for (w = 0; w < k->words; w++) o->data[(size_t)p * k->words + w] = file ? 1000 + 10 * p + w : 0;
  }
  o->live = 1;
  o->maps = o->cached = 0;
  return id;
}

/* Drops a reference; a cache frame's last one writes its page back to its
 * object first (the page cache lets go of the page). */
static void put_frame(struct kernel *k, uint32_t frame) {
  uint32_t id = k->cache_obj[frame];
  if (id != NOOBJ && k->refcount[frame] == 1) {
    struct object *o = &k->objects[id];
    uint32_t page = k->cache_page[frame];
    memcpy(o->data + (size_t)page * k->words, frame2pa(k, frame), k->words * sizeof(uint32_t));
    o->frame[page] = NOFRAME;
    o->cached--;
    k->cache_obj[frame] = NOOBJ;
    obj_maybe_free(k, id);
  }
  kfree(k, frame);
}

/* ---- Swap ---- */

static uint32_t slot_alloc(struct kernel *k, const uint32_t *contents) {
  uint32_t s;
  for (s = 0; s < k->nslots; s++)
    if (k->slotref[s] == 0) {
      memcpy(k->slotmem + (size_t)s * k->words, contents, k->words * sizeof(uint32_t));
      return s;
    }
  panic("slot_alloc: swap is full");
  return NOSLOT;
}

static void slot_put(struct kernel *k, uint32_t slot) {
  if (k->slotref[slot] == 0) panic("slot_put: refcount underflow");
  k->slotref[slot]--;
}

/* ---- Page tables (xv6 vm.c) ---- */

pte_t *walk(const struct kernel *k, pagetable_t pagetable, uint32_t vpn) {
  if (vpn >= k->pages) panic("walk: vpn out of range");
  return &pagetable[vpn];
}

pagetable_t proc_pagetable(const struct kernel *k, const struct proc *p) {
  return k->spaces[p->space].pagetable;
}

const struct vma *proc_vma(const struct kernel *k, const struct proc *p, uint32_t vpn) {
  return &k->spaces[p->space].vmas[vpn];
}

/* Every PTE of every space, the reverse map's walk: call f on each. */
#define FOR_EACH_PTE(k, pte)                             \
  for (uint32_t fe_s = 0; fe_s < (k)->nproc; fe_s++)     \
    if ((k)->spaces[fe_s].users)                         \
      for (uint32_t fe_v = 0; fe_v < (k)->pages; fe_v++) \
        for (pte_t *pte = &(k)->spaces[fe_s].pagetable[fe_v]; pte; pte = NULL)

/* The PTEs that map a frame. */
static uint32_t mapcount(const struct kernel *k, uint32_t frame) {
  uint32_t n = 0;
  FOR_EACH_PTE(k, pte) n += (*pte & PTE_V) && PTE2FRAME(*pte) == frame;
  return n;
}

/* Fork shares the page: neither side may assume it is the only one. */
static void pte_share(pte_t *pte) {
  if (*pte & PTE_W) *pte |= PTE_COW;
  *pte &= ~(PTE_W | PTE_EXCL);
}

/* The private page is now its writer's alone. */
static pte_t pte_own(uint32_t frame) { return FRAME2PTE(frame) | PTE_V | PTE_W | PTE_EXCL; }

/* ---- The reuse policy ----
 * Its rules in C, each written once. spec/reuse_policy.h holds the same
 * rules as a row of kPolicies and the predicate as policy_reuses(), which
 * the model, the fast implementation and the Z3 encoding share; a C kernel
 * cannot call C++ templates, so it says them again here. */

/* May the writer keep the frame and write it in place? A pure predicate of
 * the policy: the map count (Linux until 5.8, CVE-2020-29374), the page
 * count (5.9: pins count too) or the exclusive bit (5.19). `refs` is the
 * frame's refcount and `maps` its map count, passed in so that the handler
 * can also ask about a frame it has not swapped in yet. */
static int can_reuse(const struct kernel *k, pte_t pte, uint32_t refs, uint32_t maps) {
  if (ZOO_BUG(UNNECESSARY_COW)) return 0;
  switch (k->policy) {
    case REUSE_MAPCOUNT: return maps == 1;
    case REUSE_PAGECOUNT: return refs == 1;
    case REUSE_EXCLUSIVE: return (pte & PTE_EXCL) || refs == 1;
  }
  return 0;
}

/* The frame's map count for can_reuse: only the mapcount policy reads it,
 * and counting walks every page table. */
static uint32_t policy_maps(const struct kernel *k, uint32_t frame) {
  return k->policy == REUSE_MAPCOUNT ? mapcount(k, frame) : 0;
}

/* fork_copies_pinned: fork copies a pinned private page its process owns
 * alone for the child at once (Linux's early COW of pinned pages), so the
 * pin keeps seeing its process's page. */
static int fork_copies(const struct kernel *k, pte_t pte, uint32_t kind) {
  return k->policy == REUSE_EXCLUSIVE && (pte & PTE_V) && (pte & PTE_EXCL) && kind_private(kind) &&
         k->pincount[PTE2FRAME(pte)] != 0;
}

/* ro_pin_unshares: a read-only pin of a private page not known to be
 * exclusive first takes the write fault's decision, so the pin lands on a
 * page its process owns and no later COW can leave it behind. `cache`: the
 * page is the file's or a shared object's, never its mapper's own. */
static int pin_unshares(const struct kernel *k, pte_t pte, uint32_t kind, int cache) {
  return k->policy == REUSE_EXCLUSIVE && kind_private(kind) && !cache && !(pte & PTE_EXCL);
}

/* Lets go of whatever the PTE holds: a frame or a swap slot. */
static void drop_page(struct kernel *k, pte_t *pte) {
  if (*pte & PTE_V)
    put_frame(k, PTE2FRAME(*pte));
  else if (*pte & PTE_SWAP)
    slot_put(k, PTE2SLOT(*pte));
  *pte = 0;
}

static void set_vma(struct kernel *k, struct vma *vma, uint32_t kind, uint32_t object) {
  uint32_t old = vma->object;
  int had = vma->kind == MAP_SHARED_ANON;
  vma->kind = kind;
  vma->object = object;
  if (kind == MAP_SHARED_ANON) k->objects[object].maps++;
  if (had) {
    k->objects[old].maps--;
    obj_maybe_free(k, old);
  }
}

/* Gives `child` the pages of `parent` without copying them: each private
 * frame gains a reference and its PTE becomes read-only with PTE_COW in both
 * tables; shared and text pages stay one page; swap entries share their
 * slot. A pinned page may be copied at once (fork_copies); kfork has checked
 * that the copies have frames. */
static void uvmcopy(struct kernel *k, const struct proc *parent, struct space *child) {
  struct space *from = &k->spaces[parent->space];
  /* (The zoo's missed-cow-grandchild was only tested with init's children.) */
  int protect = !(ZOO_BUG(MISSED_COW_GRANDCHILD) && parent->pid != 1);
  uint32_t vpn;
  for (vpn = 0; vpn < k->pages; vpn++) {
    pte_t *pte = walk(k, from->pagetable, vpn);
    pte_t *cpte = walk(k, child->pagetable, vpn);
    uint32_t kind = from->vmas[vpn].kind;
    set_vma(k, &child->vmas[vpn], kind, from->vmas[vpn].object);
    if (!(*pte & PTE_V)) {
      if (*pte & PTE_SWAP) {
        k->slotref[PTE2SLOT(*pte)]++;
        if (protect) pte_share(pte);
        *cpte = *pte;
      }
      continue;
    }
    ZOO_DO(OOM_LEAK, rmap_add(*pte));
    if (!kind_private(kind) || !protect) {
      kdup(k, PTE2FRAME(*pte));
      *cpte = *pte;
    } else if (fork_copies(k, *pte, kind)) {
      uint32_t copy = kalloc(k);
      if (copy == NOFRAME) panic("uvmcopy: no frame for an early copy");
      memcpy(frame2pa(k, copy), frame2pa(k, PTE2FRAME(*pte)), k->words * sizeof(uint32_t));
      *cpte = pte_own(copy);
    } else { /* both sides lose PTE_W, or one writes a frame the other maps */
      if (ZOO_BUG(MISSING_COW_BIT)) *pte &= ~PTE_W; /* then pte_share sets no PTE_COW */
      kdup(k, PTE2FRAME(*pte));
      *cpte = *pte;
      pte_share(cpte);
      if (!ZOO_BUG(MISSED_COW)) pte_share(pte);
    }
  }
}

/* Unmaps every page, dropping its reference: a frame the page shared with
 * another process stays, the last reference frees it. */
static void uvmfree(struct kernel *k, struct space *s) {
  uint32_t vpn;
  for (vpn = 0; vpn < k->pages; vpn++) {
    pte_t *pte = walk(k, s->pagetable, vpn);
    if (ZOO_BUG(REFCOUNT_LEAK) && (*pte & PTE_V) && !(*pte & PTE_W)) *pte = 0;
    if (ZOO_BUG(FREE_WHILE_MAPPED) && (*pte & PTE_V)) {
      freeframe(k, PTE2FRAME(*pte));
      *pte = 0;
    }
    drop_page(k, pte);
    set_vma(k, &s->vmas[vpn], MAP_NONE, 0);
  }
  if (ZOO_BUG(CRASH_RARE_PATH)) s->pagetable = NULL;
}

/* ---- The write fault (xv6 trap.c) ---- */

/* The decision on a mapped frame. (The zoo's reuse-by-mapcount takes the
 * map count in the writer's own page table, where a private frame is
 * mapped once: it reuses every frame.) */
static int can_reuse_frame(const struct kernel *k, pte_t pte) {
  uint32_t frame = PTE2FRAME(pte);
  if (ZOO_BUG(REUSE_BY_MAPCOUNT)) return 1;
  return can_reuse(k, pte, k->refcount[frame], policy_maps(k, frame));
}

/* The writer owns the frame alone: make its PTE writable, drop PTE_COW and
 * mark it exclusive, so later writes do not fault. */
static enum kfault cow_reuse(pte_t *pte) {
  if (!ZOO_BUG(FAULT_LOOP)) *pte = (*pte | PTE_W | PTE_EXCL) & ~PTE_COW;
  return KF_REUSE;
}

/* The frame is shared (or is the file's): move the writer to a copy of the
 * whole page (the store changes one word; the others must still hold what it
 * saw), then drop its reference to the old frame. The caller has checked
 * that a frame is free. */
static enum kfault cow_copy(struct kernel *k, pte_t *pte) {
  uint32_t shared = PTE2FRAME(*pte);
  uint32_t copy = kalloc(k);
  if (copy == NOFRAME) panic("cow_copy: no free frame");
  if (ZOO_BUG(ABORT_ON_ASSERT) && k->refcount[shared] != 2)
    panic("cow_copy: a shared frame has two owners");
  memcpy(frame2pa(k, copy), frame2pa(k, shared),
         (ZOO_BUG(WRONG_COW_PARTIAL) ? 1 : k->words) * sizeof(uint32_t));
  *pte = pte_own(ZOO_BUG(WRONG_COW_FRAME) ? shared : copy);
  put_frame(k, shared);
  if (ZOO_BUG(REFCOUNT_UNDERFLOW)) put_frame(k, shared);
  return KF_COPY;
}

/* do_wp_page: decide, then act. A read-only page without PTE_COW was never
 * meant to be written. A cache frame is never its writer's own. */
static enum kerr wp_fault(struct kernel *k, pte_t *pte, enum kfault *fault) {
  if (!(*pte & PTE_COW)) return K_PROT;
  if (k->cache_obj[PTE2FRAME(*pte)] == NOOBJ && can_reuse_frame(k, *pte))
    *fault = cow_reuse(pte);
  else
    *fault = cow_copy(k, pte);
  return K_OK;
}

/* ---- Faulting pages in ---- */

static void zero_fill(struct kernel *k, pte_t *pte) {
  uint32_t frame = kalloc(k);
  if (frame == NOFRAME) panic("zero_fill: no free frame");
  memset(frame2pa(k, frame), 0, k->words * sizeof(uint32_t));
  *pte = pte_own(frame);
}

/* One frame with the slot's contents, mapped again by every PTE that names
 * the slot, in every space (the reverse map), with the bits each had: a
 * page shared before swapout is shared after. */
static void swap_in(struct kernel *k, uint32_t slot) {
  uint32_t frame = kalloc(k);
  int first = 1;
  if (frame == NOFRAME) panic("swap_in: no free frame");
  memcpy(frame2pa(k, frame), k->slotmem + (size_t)slot * k->words, k->words * sizeof(uint32_t));
  FOR_EACH_PTE(k, pte) {
    if ((*pte & PTE_V) || !(*pte & PTE_SWAP) || PTE2SLOT(*pte) != slot) continue;
    if (!first) kdup(k, frame);
    first = 0;
    slot_put(k, slot);
    *pte = FRAME2PTE(frame) | PTE_V | (PTE_FLAGS(*pte) & (PTE_W | PTE_COW | PTE_EXCL));
  }
}

/* The object's page, from the cache or read into a new cache frame. */
static void page_in(struct kernel *k, struct space *s, uint32_t vpn) {
  const struct vma *vma = &s->vmas[vpn];
  struct object *o = &k->objects[vma->object];
  uint32_t frame = o->frame[vpn];
  if (frame != NOFRAME) {
    kdup(k, frame);
  } else {
    frame = kalloc(k);
    if (frame == NOFRAME) panic("page_in: no free frame");
    memcpy(frame2pa(k, frame), o->data + (size_t)vpn * k->words, k->words * sizeof(uint32_t));
    o->frame[vpn] = frame;
    o->cached++;
    k->cache_obj[frame] = vma->object;
    k->cache_page[frame] = vpn;
  }
  s->pagetable[vpn] = FRAME2PTE(frame) | PTE_V |
                      (vma->kind == MAP_SHARED_ANON || vma->kind == MAP_SHARED_FILE ? PTE_W : 0) |
                      (vma->kind == MAP_PRIVATE_FILE ? PTE_COW : 0);
}

/* What a fault will need, worked out before it touches anything, so that a
 * fault that would run out of frames halfway changes nothing at all. */
enum access { ACCESS_READ, ACCESS_WRITE, ACCESS_PIN };

static uint32_t frames_needed(const struct kernel *k, const struct space *s, uint32_t vpn,
                              enum access access) {
  pte_t pte = s->pagetable[vpn];
  uint32_t kind = s->vmas[vpn].kind;
  uint32_t need = 0, refs = 0, maps = 0;
  int cache = 0;
  if (pte & PTE_V) {
    uint32_t frame = PTE2FRAME(pte);
    cache = k->cache_obj[frame] != NOOBJ;
    refs = k->refcount[frame];
    maps = policy_maps(k, frame);
  } else if (pte & PTE_SWAP) {
    need = 1; /* swap-in: a new anonymous frame, mapped by every sharer of the slot */
    refs = maps = k->slotref[PTE2SLOT(pte)];
  } else if (kind == MAP_PRIVATE_ANON) {
    return access == ACCESS_READ ? 0 : 1; /* a load reads zeros; a store or pin zero-fills */
  } else {
    const struct object *o = &k->objects[s->vmas[vpn].object];
    need = o->frame[vpn] == NOFRAME;
    cache = 1;
    if (kind == MAP_SHARED_ANON || kind == MAP_SHARED_FILE || kind == MAP_TEXT) return need;
    pte = PTE_COW; /* a private file page comes in read-only, cow */
  }
  if (access == ACCESS_READ) return need;
  if (access == ACCESS_WRITE) {
    if ((pte & PTE_W) || !(pte & PTE_COW)) return need;
    return need + (cache || !can_reuse(k, pte, refs, maps));
  }
  if (pin_unshares(k, pte, kind, cache)) return need + !can_reuse(k, pte, refs, maps);
  return need;
}

/* Fault-in for a load: a swap entry is swapped in, a file or shared page is
 * paged in; an untouched private anon page stays untouched (it reads as
 * zeros). */
static void fault_in_read(struct kernel *k, struct space *s, uint32_t vpn, enum kfault *fault) {
  pte_t *pte = walk(k, s->pagetable, vpn);
  if (*pte & PTE_V) return;
  if (*pte & PTE_SWAP) {
    swap_in(k, PTE2SLOT(*pte));
    *fault = KF_SWAPIN;
  } else if (s->vmas[vpn].kind != MAP_PRIVATE_ANON) {
    page_in(k, s, vpn);
    *fault = KF_PAGEIN;
  }
}

/* Fault-in for a store: in first, then COW if the page is read-only. */
static enum kerr fault_in_write(struct kernel *k, struct space *s, uint32_t vpn,
                                enum kfault *fault) {
  pte_t *pte = walk(k, s->pagetable, vpn);
  if (!(*pte & PTE_V)) {
    if (!(*pte & PTE_SWAP) && s->vmas[vpn].kind == MAP_PRIVATE_ANON) {
      zero_fill(k, pte);
      *fault = KF_ZERO;
      return K_OK;
    }
    fault_in_read(k, s, vpn, fault);
  }
  if (*pte & PTE_W) return K_OK;
  return wp_fault(k, pte, fault);
}

/* The free frames an op may take: all of them. (The zoo's oom-keeps-reserve
 * holds one back "for the kernel".) */
static uint32_t frames_free(const struct kernel *k) {
  return k->nfree - (ZOO_BUG(OOM_KEEPS_RESERVE) && k->nfree > 0);
}

/* Out of frames: under the kill policy the faulting process dies. */
static enum kerr out_of_memory(struct kernel *k, struct proc *p) {
  if (k->oom != OOM_KILL) return K_NOMEM;
  kexit(k, p);
  return K_KILLED;
}

enum kerr vmfault(struct kernel *k, struct proc *p, uint32_t vpn, int write, enum kfault *fault) {
  struct space *s = &k->spaces[p->space];
  *fault = KF_NONE;
  if (write && s->vmas[vpn].kind == MAP_TEXT) return K_PROT;
  if (frames_needed(k, s, vpn, write ? ACCESS_WRITE : ACCESS_READ) > frames_free(k))
    return out_of_memory(k, p);
  if (!write) {
    fault_in_read(k, s, vpn, fault);
    return K_OK;
  }
  return fault_in_write(k, s, vpn, fault);
}

/* xv6's copyout after the COW lab: the kernel writes a user page through
 * its physical address, so it must first make the PTE writable exactly as a
 * user store's fault would, or it writes a frame another process shares. */
enum kerr copyout(struct kernel *k, struct proc *p, uint32_t vpn, uint32_t word, uint32_t value,
                  enum kfault *fault) {
  pte_t *pte = walk(k, proc_pagetable(k, p), vpn);
  *fault = KF_NONE;
  if (!(*pte & PTE_V) || (!(*pte & PTE_W) && !ZOO_BUG(COPYOUT_NO_COW))) {
    enum kerr r = vmfault(k, p, vpn, 1, fault);
    if (r != K_OK) return r;
  }
  frame2pa(k, PTE2FRAME(*pte))[word] = value;
  return K_OK;
}

/* ---- Pins (get_user_pages) ---- */

const struct pin *findpin(const struct kernel *k, uint32_t id) {
  uint32_t i;
  for (i = 0; i < k->npins; i++)
    if (k->pins[i].id == id) return &k->pins[i];
  return NULL;
}

/* A writable pin faults the page in for write (breaking COW first). A
 * read-only one faults it in for read, zero-fills an untouched page (a pin
 * needs a frame) and, under the exclusive policy, unshares a private page
 * that is not exclusive, so that the pin lands on a page its process owns
 * and a later COW by anyone cannot leave the pin behind. */
enum kerr kpin(struct kernel *k, struct proc *p, uint32_t vpn, int rw, uint32_t *id,
               enum kfault *fault) {
  struct space *s = &k->spaces[p->space];
  pte_t *pte = walk(k, s->pagetable, vpn);
  uint32_t kind = s->vmas[vpn].kind;
  enum kerr r = K_OK;
  *fault = KF_NONE;
  if (rw && kind == MAP_TEXT) return K_PROT;
  if (frames_needed(k, s, vpn, rw ? ACCESS_WRITE : ACCESS_PIN) > frames_free(k))
    return out_of_memory(k, p);
  if (k->npins == k->pincap) {
    uint32_t cap = k->pincap ? 2 * k->pincap : 16;
    struct pin *grown = realloc(k->pins, cap * sizeof *grown);
    if (!grown) panic("kpin: out of host memory");
    k->pins = grown;
    k->pincap = cap;
  }
  if (rw) {
    r = fault_in_write(k, s, vpn, fault);
  } else {
    fault_in_read(k, s, vpn, fault);
    if (!(*pte & PTE_V)) {
      zero_fill(k, pte);
      *fault = KF_ZERO;
    }
    if (pin_unshares(k, *pte, kind, k->cache_obj[PTE2FRAME(*pte)] != NOOBJ))
      r = wp_fault(k, pte, fault);
  }
  if (r != K_OK) return r;
  kdup(k, PTE2FRAME(*pte));
  k->pincount[PTE2FRAME(*pte)]++;
  k->pins[k->npins].id = *id = k->nextpin++;
  k->pins[k->npins].frame = PTE2FRAME(*pte);
  k->pins[k->npins].rw = (uint32_t)rw;
  k->npins++;
  return K_OK;
}

enum kerr kunpin(struct kernel *k, uint32_t id, uint32_t word, uint32_t *value) {
  uint32_t i;
  for (i = 0; i < k->npins && k->pins[i].id != id; i++) continue;
  if (i == k->npins) return K_NOPIN;
  if (word >= k->words) return K_BADADDR;
  *value = frame2pa(k, k->pins[i].frame)[word];
  if (!ZOO_BUG(UNPIN_KEEPS_PINCOUNT)) k->pincount[k->pins[i].frame]--;
  put_frame(k, k->pins[i].frame);
  memmove(&k->pins[i], &k->pins[i + 1], (k->npins - i - 1) * sizeof *k->pins);
  k->npins--;
  return K_OK;
}

/* ---- Swap-out (the reverse map) ---- */

/* Every PTE that maps the frame lets go of it. A cache frame's last
 * reference writes it back to its object; an anonymous frame's contents go
 * to one new slot that every PTE now names, keeping its bits. */
enum kerr kswapout(struct kernel *k, struct proc *p, uint32_t vpn) {
  pte_t pte = *walk(k, proc_pagetable(k, p), vpn);
  uint32_t frame, slot;
  if (!(pte & PTE_V)) return K_OK;
  frame = PTE2FRAME(pte);
  if (k->pincount[frame]) return K_BUSY;
  if (k->cache_obj[frame] != NOOBJ) {
    FOR_EACH_PTE(k, q) {
      if (!(*q & PTE_V) || PTE2FRAME(*q) != frame) continue;
      put_frame(k, frame);
      *q = 0;
    }
    return K_OK;
  }
  slot = slot_alloc(k, frame2pa(k, frame));
  FOR_EACH_PTE(k, q) {
    if (!(*q & PTE_V) || PTE2FRAME(*q) != frame) continue;
    k->slotref[slot]++;
    *q = SLOT2PTE(slot) | PTE_SWAP | (PTE_FLAGS(*q) & (PTE_W | PTE_COW | PTE_EXCL));
    put_frame(k, frame);
  }
  return K_OK;
}

/* ---- Processes (xv6 proc.c) ---- */

struct proc *findproc(const struct kernel *k, uint32_t pid) {
  uint32_t i;
  for (i = 0; i < k->nproc; i++)
    if (k->proc[i].state == USED && k->proc[i].pid == pid) return &k->proc[i];
  return NULL;
}

uint32_t space_owner(const struct kernel *k, const struct proc *p) {
  while (p->vfork_parent) p = findproc(k, p->vfork_parent);
  return p->pid;
}

/* A free slot, or NULL when `nproc` processes are live. */
static struct proc *allocproc(struct kernel *k) {
  uint32_t i;
  for (i = 0; i < k->nproc; i++)
    if (k->proc[i].state == UNUSED) return &k->proc[i];
  return NULL;
}

/* A free space with every page private anonymous and untouched. There is
 * one whenever a process slot is free or a space has two users. */
static uint32_t allocspace(struct kernel *k) {
  uint32_t i, vpn;
  for (i = 0; i < k->nproc; i++)
    if (k->spaces[i].users == 0) break;
  if (i == k->nproc) panic("allocspace: no free space");
  for (vpn = 0; vpn < k->pages; vpn++) {
    k->spaces[i].pagetable[vpn] = 0;
    set_vma(k, &k->spaces[i].vmas[vpn], MAP_PRIVATE_ANON, FILE_OBJECT);
  }
  k->spaces[i].users = 1;
  return i;
}

/* The last user of a space frees its pages. */
static void release_space(struct kernel *k, uint32_t space) {
  struct space *s = &k->spaces[space];
  if (--s->users > 0) return;
  uvmfree(k, s);
}

/* The frames fork's early copies of pinned pages will take. */
static uint32_t early_copies(const struct kernel *k, const struct space *s) {
  uint32_t vpn, n = 0;
  for (vpn = 0; vpn < k->pages; vpn++) n += fork_copies(k, s->pagetable[vpn], s->vmas[vpn].kind);
  return n;
}

enum kerr kfork(struct kernel *k, struct proc *parent, uint32_t *pid) {
  struct proc *child = allocproc(k);
  if (!child) return K_PROCLIMIT;
  if (early_copies(k, &k->spaces[parent->space]) > frames_free(k)) return K_NOMEM;
  child->space = allocspace(k);
  uvmcopy(k, parent, &k->spaces[child->space]);
  child->pid = *pid = k->nextpid++;
  child->vfork_parent = child->suspended_by = 0;
  child->state = USED;
  return K_OK;
}

enum kerr kvfork(struct kernel *k, struct proc *parent, uint32_t *pid) {
  struct proc *child = allocproc(k);
  if (!child) return K_PROCLIMIT;
  child->space = parent->space;
  k->spaces[parent->space].users++;
  child->pid = *pid = k->nextpid++;
  child->vfork_parent = parent->pid;
  child->suspended_by = 0;
  child->state = USED;
  parent->suspended_by = child->pid;
  return K_OK;
}

/* A vfork child that execs or exits lets its parent run again. */
static void leave_vfork(struct kernel *k, struct proc *p) {
  if (!p->vfork_parent) return;
  findproc(k, p->vfork_parent)->suspended_by = 0;
  p->vfork_parent = 0;
}

void kexit(struct kernel *k, struct proc *p) {
  ZOO_DO(CALLS_EXIT, panic_if_init_leaves_others(k, p));
  leave_vfork(k, p);
  p->state = UNUSED;
  release_space(k, p->space);
  p->pid = 0;
}

void kexec(struct kernel *k, struct proc *p) {
  uint32_t old = p->space;
  leave_vfork(k, p);
  if (k->spaces[old].users == 1) { /* its own space: empty it in place */
    uvmfree(k, &k->spaces[old]);
    k->spaces[old].users = 0;
  } else {
    k->spaces[old].users--;
  }
  p->space = allocspace(k);
}

static enum kerr check_range(const struct kernel *k, uint32_t vpn, uint32_t count) {
  return count == 0 || vpn >= k->pages || count > k->pages - vpn ? K_BADADDR : K_OK;
}

enum kerr kmmap(struct kernel *k, struct proc *p, uint32_t vpn, uint32_t count, enum mapkind kind) {
  struct space *s = &k->spaces[p->space];
  uint32_t object = FILE_OBJECT, v;
  if (check_range(k, vpn, count) != K_OK || kind == MAP_NONE || kind > MAP_SHARED_FILE)
    return K_BADADDR;
  if (kind == MAP_SHARED_ANON) object = obj_create(k, 0);
  for (v = vpn; v < vpn + count; v++) {
    drop_page(k, walk(k, s->pagetable, v));
    set_vma(k, &s->vmas[v], kind, object);
  }
  obj_maybe_free(k, object);
  return K_OK;
}

enum kerr kmunmap(struct kernel *k, struct proc *p, uint32_t vpn, uint32_t count) {
  struct space *s = &k->spaces[p->space];
  uint32_t v;
  if (check_range(k, vpn, count) != K_OK) return K_BADADDR;
  for (v = vpn; v < vpn + count; v++) {
    if (ZOO_BUG(MUNMAP_LEAK)) *walk(k, s->pagetable, v) = 0;
    drop_page(k, walk(k, s->pagetable, v));
    set_vma(k, &s->vmas[v], MAP_NONE, 0);
  }
  return K_OK;
}

/* ---- Boot ---- */

int kboot(struct kernel *k, uint32_t pages, uint32_t frames, uint32_t procs, uint32_t words,
          enum reuse_policy policy, enum oom_policy oom) {
  uint32_t i;
  struct proc *init;
  memset(k, 0, sizeof *k);
  k->pages = pages;
  k->nframes = frames;
  k->nproc = procs;
  k->words = words;
  k->policy = policy;
  k->oom = oom;
  k->nslots = pages * procs;
  /* Objects alive at once: the file, one per vma, one per cache frame. */
  k->nobjects = 1 + pages * procs + frames;
  k->mem = malloc((size_t)frames * words * sizeof *k->mem);
  k->refcount = calloc(frames, sizeof *k->refcount);
  k->pincount = calloc(frames, sizeof *k->pincount);
  k->cache_obj = malloc(frames * sizeof *k->cache_obj);
  k->cache_page = calloc(frames, sizeof *k->cache_page);
  k->next = calloc(frames, sizeof *k->next);
  k->slotref = calloc(k->nslots, sizeof *k->slotref);
  k->slotmem = calloc((size_t)k->nslots * words, sizeof *k->slotmem);
  k->objects = calloc(k->nobjects, sizeof *k->objects);
  k->proc = calloc(procs, sizeof *k->proc);
  k->spaces = calloc(procs, sizeof *k->spaces);
  k->ptes = calloc((size_t)procs * pages, sizeof *k->ptes);
  k->vmas = calloc((size_t)procs * pages, sizeof *k->vmas);
  if (!k->mem || !k->refcount || !k->pincount || !k->cache_obj || !k->cache_page || !k->next ||
      !k->slotref || !k->slotmem || !k->objects || !k->proc || !k->spaces || !k->ptes || !k->vmas) {
    khalt(k);
    return -1;
  }
  for (i = 0; i < frames; i++) k->cache_obj[i] = NOOBJ;
  for (i = 0; i < procs; i++) {
    k->spaces[i].pagetable = k->ptes + (size_t)i * pages;
    k->spaces[i].vmas = k->vmas + (size_t)i * pages;
  }
  obj_create(k, 1); /* object 0, the file */

  /* Every frame starts free. Freed from the top down, so kalloc hands out
   * frame 0 first and process 1's pages are frames 0.., easy to read in a
   * replay. */
  k->freelist = NOFRAME;
  for (i = frames; i-- > 0;) freeframe(k, i);

  /* Process 1 (xv6's userinit): each page in its own zeroed frame. */
  init = &k->proc[0];
  init->pid = 1;
  init->state = USED;
  init->space = allocspace(k);
  k->nextpid = 2;
  k->nextpin = 1;
  for (i = 0; i < pages; i++) zero_fill(k, walk(k, k->spaces[init->space].pagetable, i));
  return 0;
}

void khalt(struct kernel *k) {
  uint32_t i;
  if (k->objects)
    for (i = 0; i < k->nobjects; i++) {
      free(k->objects[i].data);
      free(k->objects[i].frame);
    }
  free(k->mem);
  free(k->refcount);
  free(k->pincount);
  free(k->cache_obj);
  free(k->cache_page);
  free(k->next);
  free(k->slotref);
  free(k->slotmem);
  free(k->objects);
  free(k->proc);
  free(k->spaces);
  free(k->ptes);
  free(k->vmas);
  free(k->pins);
  memset(k, 0, sizeof *k);
}
