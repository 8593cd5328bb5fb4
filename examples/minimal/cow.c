/* A minimal copy-on-write fork() behind cowcheck's plug-in ABI: fork, write,
 * read, exit, and the white-box views (pte, frame, free_frames) with which the
 * oracle checks refcounts and page tables after every op. Fork shares every
 * frame and write-protects both sides; a write fault copies a frame others
 * still map, or keeps one the writer maps alone. tests/examples builds it once
 * per -DBUG_... switch (each breaks one line); without them it is correct. */
#include <cowcheck/cow_abi.h>
#include <stdlib.h>
#include <string.h>

struct pte {
  uint32_t frame;   /* always present: every page has a frame from creation on */
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
  uint32_t nfree;     /* frames with refcount 0 */
  struct proc *proc;  /* cfg.procs slots */
  struct pte *ptes;   /* every slot's page table, allocated once: fork needs no memory */
};

#define FRAME(in, f) ((in)->mem + (size_t)(f) * (in)->cfg.words) /* a frame's words */

/* Drop one reference; the frame is free again when the last one goes. */
static void put_frame(cow_instance *in, uint32_t f) {
  if (--in->refcount[f] == 0) in->nfree++;
}

/* The slot of live process `pid`, or NULL (pid 0 marks a free slot, never a process). */
static struct proc *find(const cow_instance *in, uint32_t pid) {
  for (uint32_t i = 0; pid != 0 && i < in->cfg.procs; i++)
    if (in->proc[i].pid == pid) return &in->proc[i];
  return NULL;
}

/* The PTE behind (pid, vpn): the pid first, then the address, as the oracle expects. */
static cow_status lookup(const cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                         struct pte **pte) {
  struct proc *p = find(in, pid);
  if (!p) return COW_NO_SUCH_PROCESS;
  if (vpn >= in->cfg.pages || word >= in->cfg.words) return COW_BAD_ADDRESS;
  *pte = &p->pt[vpn];
  return COW_OK;
}

static void destroy(cow_instance *in) {
  free(in->mem), free(in->refcount), free(in->proc), free(in->ptes), free(in);
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
  in->proc = calloc(c->procs, sizeof *in->proc);
  in->ptes = calloc((size_t)c->procs * c->pages, sizeof *in->ptes);
  if (!in->mem || !in->refcount || !in->proc || !in->ptes) {
    destroy(in);
    return NULL;
  }
  for (uint32_t i = 0; i < c->procs; i++) in->proc[i].pt = in->ptes + (size_t)i * c->pages;
  /* Process 1 owns frame v for page v, zeroed; the other frames are free. */
  in->proc[0].pid = 1, in->next_pid = 2, in->nfree = c->frames - c->pages;
  for (uint32_t v = 0; v < c->pages; v++) {
    in->proc[0].pt[v] = (struct pte){.frame = v, .writable = 1, .cow = 0};
    in->refcount[v] = 1;
  }
  return in;
}

static cow_status do_fork(cow_instance *in, uint32_t pid, uint32_t *child) {
  struct proc *parent = find(in, pid), *c = in->proc, *end = in->proc + in->cfg.procs;
  if (!parent) return COW_NO_SUCH_PROCESS;
  while (c < end && c->pid != 0) c++;  /* a free slot */
  if (c == end) return COW_PROC_LIMIT; /* before taking a pid: a failed fork takes none */
  for (uint32_t v = 0; v < in->cfg.pages; v++) {
    struct pte *p = &parent->pt[v];
    /* Both sides read-only, or the parent's next store lands in the child's page. */
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
  struct pte *pte;
  cow_status status = lookup(in, pid, vpn, word, &pte);
  *fault = COW_FAULT_NONE;
  if (status != COW_OK) return status;
  /* A store to a read-only PTE traps: this is the write fault handler. */
  if (!pte->writable) {
    if (!pte->cow) return COW_PROT_FAULT; /* truly read-only (never, with private pages) */
    uint32_t old = pte->frame;
#ifndef BUG_REUSE_SHARED
    if (in->refcount[old] == 1) {
#else
    if (in->refcount[old] <= 2) { /* the seeded bug: off by one */
#endif
      *fault = COW_FAULT_REUSE; /* the others have gone: the frame is ours alone, no copy */
    } else {
      /* Out of memory: change nothing (the ABI's rule), or the OOM killer takes the writer. */
      if (in->nfree == 0) {
        if (in->cfg.oom == COW_OOM_KILL) do_exit(in, pid);
        return in->cfg.oom == COW_OOM_KILL ? COW_KILLED : COW_OUT_OF_MEMORY;
      }
      uint32_t copy = 0;
      while (in->refcount[copy] != 0) copy++; /* the first free frame */
      memcpy(FRAME(in, copy), FRAME(in, old), in->cfg.words * sizeof(uint32_t));
      in->refcount[copy] = 1, in->nfree--;
#ifndef BUG_KEEP_OLD_REF
      put_frame(in, old); /* the writer no longer maps the old frame */
#endif
      pte->frame = copy;
      *fault = COW_FAULT_COPY;
    }
    pte->writable = 1, pte->cow = 0; /* the writer is now the frame's only mapper */
  }
  FRAME(in, pte->frame)[word] = value;
  return COW_OK;
}

static cow_status do_read(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                          uint32_t *value) {
  struct pte *pte;
  cow_status status = lookup(in, pid, vpn, word, &pte);
  if (status == COW_OK) *value = FRAME(in, pte->frame)[word]; /* loads never fault */
  return status;
}

/* The white-box views: with them the oracle checks WP, REUSE and RC after every op. */
static cow_status view_pte(const cow_instance *in, uint32_t pid, uint32_t vpn,
                           struct cow_pte *out) {
  struct pte *pte;
  cow_status status = lookup(in, pid, vpn, 0, &pte);
  if (status != COW_OK) return status;
  out->present = 1, out->writable = pte->writable, out->cow = pte->cow, out->frame = pte->frame;
  /* The ABI's version-2 fields, as a machine of fork, write, read and exit has them. */
  out->kind = COW_MAP_PRIVATE_ANON, out->exclusive = out->writable, out->slot = COW_NO_SLOT;
  return COW_OK;
}

static cow_status view_frame(const cow_instance *in, uint32_t f, uint32_t *refcount,
                             uint32_t *contents) {
  if (f >= in->cfg.frames) return COW_BAD_ADDRESS;
  *refcount = in->refcount[f];
  memcpy(contents, FRAME(in, f), in->cfg.words * sizeof(uint32_t));
  return COW_OK;
}

static uint32_t view_free_frames(const cow_instance *in) { return in->nfree; }

/* The one exported symbol (the library is built with hidden visibility). Entry points
 * left NULL (exec, mmap, pin, ...) are ops the oracle never generates for this kernel. */
__attribute__((visibility("default"))) const struct cow_plugin *cow_plugin_entry(void) {
  static const struct cow_plugin plugin = {
      .abi_version = COW_ABI_VERSION,
      .struct_size = sizeof(struct cow_plugin),
      .name = "cow-minimal",
      .create = create,
      .destroy = destroy,
      .fork = do_fork,
      .write = do_write,
      .read = do_read,
      .exit = do_exit,
      .pte = view_pte,
      .frame = view_frame,
      .free_frames = view_free_frames,
  };
  return &plugin;
}
