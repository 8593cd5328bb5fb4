/* A minimal copy-on-write fork() behind cowcheck's plug-in ABI: fork, write,
 * read and exit, plus the white-box views (pte, frame, free_frames) that let
 * the oracle check refcounts and page-table entries after every op.
 *
 * The whole mechanism: physical frames with reference counts and a free
 * list; one page table per process; fork shares every frame and
 * write-protects both sides; a write to a write-protected page copies the
 * frame if someone else still maps it, or takes it back if the writer is the
 * last one left. Start from here and replace the insides with your kernel's.
 *
 * tests/examples builds this file once more per -DBUG_... switch, each
 * removing or changing one line, to show that cowcheck catches the bug.
 * Without the switches it is the correct kernel; a copy may drop them. */
#include <cowcheck/cow_abi.h>
#include <stdlib.h>
#include <string.h>

struct pte {
  uint32_t frame;   /* every page of a live process is present (eager, as at creation) */
  uint8_t writable; /* a store goes straight to the frame */
  uint8_t cow;      /* read-only only because the frame may be shared: copy on write */
};

struct proc {
  uint32_t pid;   /* 0: the slot is free */
  struct pte *pt; /* `pages` entries, indexed by vpn */
};

struct cow_instance {
  struct cow_config cfg;
  uint32_t next_pid;  /* pids are never reused */
  uint32_t *mem;      /* physical memory: frames * words */
  uint32_t *refcount; /* per frame: the PTEs that map it; 0 = free */
  uint32_t *free;     /* a stack of free frames */
  uint32_t nfree;
  struct proc *proc;  /* cfg.procs slots */
  struct pte *ptes;   /* every slot's page table, allocated once: fork needs no memory */
};

static uint32_t *frame_words(const cow_instance *in, uint32_t f) {
  return in->mem + (size_t)f * in->cfg.words;
}

/* Drop one reference; the last one puts the frame back on the free list. */
static void put_frame(cow_instance *in, uint32_t f) {
  if (--in->refcount[f] == 0) in->free[in->nfree++] = f;
}

/* The slot of process `pid`; slot(in, 0) is a free slot. */
static struct proc *slot(const cow_instance *in, uint32_t pid) {
  for (uint32_t i = 0; i < in->cfg.procs; i++)
    if (in->proc[i].pid == pid) return &in->proc[i];
  return NULL;
}

static struct proc *find(const cow_instance *in, uint32_t pid) { return pid ? slot(in, pid) : NULL; }

static void destroy(cow_instance *in) {
  free(in->mem), free(in->refcount), free(in->free), free(in->proc), free(in->ptes), free(in);
}

static cow_instance *create(const struct cow_config *c) {
  /* NULL tells the oracle this machine cannot be built (not a finding). */
  if (c->pages == 0 || c->frames < c->pages || c->procs == 0 || c->words == 0 ||
      c->words > COW_MAX_WORDS || c->policy > COW_REUSE_EXCLUSIVE || c->oom > COW_OOM_KILL)
    return NULL;
  cow_instance *in = calloc(1, sizeof *in);
  if (!in) return NULL;
  in->cfg = *c;
  in->mem = calloc((size_t)c->frames * c->words, sizeof *in->mem);
  in->refcount = calloc(c->frames, sizeof *in->refcount);
  in->free = calloc(c->frames, sizeof *in->free);
  in->proc = calloc(c->procs, sizeof *in->proc);
  in->ptes = calloc((size_t)c->procs * c->pages, sizeof *in->ptes);
  if (!in->mem || !in->refcount || !in->free || !in->proc || !in->ptes) {
    destroy(in);
    return NULL;
  }
  for (uint32_t i = 0; i < c->procs; i++) in->proc[i].pt = in->ptes + (size_t)i * c->pages;
  /* Process 1 owns frame v for page v, writable, zeroed (calloc). */
  in->proc[0].pid = 1;
  for (uint32_t v = 0; v < c->pages; v++) {
    in->proc[0].pt[v] = (struct pte){.frame = v, .writable = 1, .cow = 0};
    in->refcount[v] = 1;
  }
  /* Pushed from the top down so that frames are handed out in order. */
  for (uint32_t f = c->frames; f-- > c->pages;) in->free[in->nfree++] = f;
  in->next_pid = 2;
  return in;
}

static cow_status do_fork(cow_instance *in, uint32_t pid, uint32_t *child) {
  struct proc *parent = find(in, pid), *c = slot(in, 0);
  if (!parent) return COW_NO_SUCH_PROCESS;
  if (!c) return COW_PROC_LIMIT; /* checked before taking a pid: a failed fork takes none */
  for (uint32_t v = 0; v < in->cfg.pages; v++) {
    struct pte *p = &parent->pt[v];
    /* Both sides must be read-only, or the parent's next store would land in
     * the frame the child sees. cow says why it is read-only. */
#ifndef BUG_PARENT_WRITABLE
    p->writable = 0;
#endif
    p->cow = 1;
    c->pt[v] = (struct pte){.frame = p->frame, .writable = 0, .cow = 1};
    in->refcount[p->frame]++; /* one more PTE maps it */
  }
  c->pid = *child = in->next_pid++;
  return COW_OK;
}

static cow_status do_exit(cow_instance *in, uint32_t pid) {
  struct proc *p = find(in, pid);
  if (!p) return COW_NO_SUCH_PROCESS;
  for (uint32_t v = 0; v < in->cfg.pages; v++) put_frame(in, p->pt[v].frame);
  p->pid = 0;
  return COW_OK;
}

static cow_status do_write(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                           uint32_t value, cow_fault *fault) {
  struct proc *p = find(in, pid);
  *fault = COW_FAULT_NONE;
  /* The pid first, then the address: the order the oracle compares. */
  if (!p) return COW_NO_SUCH_PROCESS;
  if (vpn >= in->cfg.pages || word >= in->cfg.words) return COW_BAD_ADDRESS;
  struct pte *pte = &p->pt[vpn];
  if (!pte->writable) { /* the MMU would trap here: the write fault handler */
    if (!pte->cow) return COW_PROT_FAULT;  /* truly read-only (never, with private pages) */
    uint32_t old = pte->frame;
#ifdef BUG_REUSE_SHARED
    if (in->refcount[old] <= 2) {
#else
    if (in->refcount[old] == 1) {
#endif
      *fault = COW_FAULT_REUSE; /* the others have gone: the frame is ours alone, no copy */
    } else {
      if (in->nfree == 0) {
        /* Out of memory changes nothing: PTE, refcounts and free list as they were. */
        if (in->cfg.oom == COW_OOM_ERROR) return COW_OUT_OF_MEMORY;
        do_exit(in, pid); /* the OOM killer takes the faulting process */
        return COW_KILLED;
      }
      uint32_t copy = in->free[--in->nfree];
      memcpy(frame_words(in, copy), frame_words(in, old), in->cfg.words * sizeof(uint32_t));
      in->refcount[copy] = 1;
#ifndef BUG_KEEP_OLD_REF
      put_frame(in, old); /* the writer no longer maps the old frame */
#endif
      pte->frame = copy;
      *fault = COW_FAULT_COPY;
    }
    pte->writable = 1, pte->cow = 0; /* the writer is now the frame's only mapper */
  }
  frame_words(in, pte->frame)[word] = value;
  return COW_OK;
}

static cow_status do_read(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                          uint32_t *value) {
  struct proc *p = find(in, pid);
  if (!p) return COW_NO_SUCH_PROCESS;
  if (vpn >= in->cfg.pages || word >= in->cfg.words) return COW_BAD_ADDRESS;
  *value = frame_words(in, p->pt[vpn].frame)[word]; /* a load never faults here */
  return COW_OK;
}

/* The white-box views: with these three the oracle checks WP, REUSE and RC
 * after every op, not only what reads return. */
static cow_status view_pte(const cow_instance *in, uint32_t pid, uint32_t vpn, struct cow_pte *out) {
  struct proc *p = find(in, pid);
  if (!p) return COW_NO_SUCH_PROCESS;
  if (vpn >= in->cfg.pages) return COW_BAD_ADDRESS;
  out->present = 1, out->writable = p->pt[vpn].writable, out->cow = p->pt[vpn].cow;
  out->frame = p->pt[vpn].frame;
  /* The ABI's version-2 fields, as a machine of fork, write, read and exit has them. */
  out->kind = COW_MAP_PRIVATE_ANON, out->exclusive = out->writable, out->slot = COW_NO_SLOT;
  return COW_OK;
}

static cow_status view_frame(const cow_instance *in, uint32_t f, uint32_t *refcount,
                             uint32_t *contents) {
  if (f >= in->cfg.frames) return COW_BAD_ADDRESS;
  *refcount = in->refcount[f];
  memcpy(contents, frame_words(in, f), in->cfg.words * sizeof(uint32_t));
  return COW_OK;
}

static uint32_t view_free_frames(const cow_instance *in) { return in->nfree; }

/* Entry points left out (exec, mmap, swapout, pin, ...) are ops this kernel
 * does not do: the oracle never generates them for it. */
static const struct cow_plugin plugin = {
    .abi_version = COW_ABI_VERSION, .struct_size = sizeof(struct cow_plugin),
    .name = "cow-minimal", .create = create, .destroy = destroy, .fork = do_fork,
    .write = do_write, .read = do_read, .exit = do_exit,
    .pte = view_pte, .frame = view_frame, .free_frames = view_free_frames};

/* The one exported symbol (the library is built with hidden visibility). */
__attribute__((visibility("default"))) const struct cow_plugin *cow_plugin_entry(void) {
  return &plugin;
}
