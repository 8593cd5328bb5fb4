/* The cowcheck plug-in ABI over an xv6 copy-on-write lab: process 1 made as
 * exec makes a process, fork as uvmcreate() + the lab's uvmcopy(), a store
 * as the hardware does it (through the PTE, or a store page fault delivered
 * to the lab's usertrap()), copyout as the lab's copyout(), exit as
 * uvmfree(). The MMU's view (the PTE of a page) is read by a walk of the
 * adapter's own, so a wrong walk() in the lab cannot hide its own bugs.
 *
 * Memory: the lab's kinit() frees [end, PHYSTOP), mapped at its real
 * physical addresses. The lowest `frames` pages are the machine's frames;
 * the pages above them are kept off the free list, and fork hands the
 * lab's allocator one for each page-table page it is about to take. */
#include <setjmp.h>

#include "cow_abi.h"
/* The lab's headers, in the order its own files include them. */
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"

#include "xv6_adapter.h"
#include "xv6_lab.h" /* written by cowcheck: what it found in this lab */

#define HIDDEN __attribute__((visibility("hidden")))

extern char end[];
void usertrap(void);

/* Page-table pages a process needs: every vpn is under 512, so one root,
 * one level-1 and one level-0 table. */
#define TABLES_PER_PROC 3

struct slot {
  struct proc *proc; /* 0: free */
  unsigned char *kind;
};

static struct {
  struct cow_config config;
  struct slot *slots;
  uint32_t next_pid;
  char *frames_end; /* [end, frames_end): the machine's frames */
  char **kept;      /* pages above frames_end, off the free list */
  uint32_t kept_count;
  uint32_t epoch; /* ops so far: the views below are computed once per op */
  uint32_t view_epoch;
  uint32_t free_count;
  uint32_t *maps;     /* per frame: leaf PTEs of live processes naming it */
  char *on_free_list; /* per frame */
} m;

static int booted;

HIDDEN jmp_buf trap_exit;
static int in_trap;

HIDDEN void xv6_exit_from_trap(int status) {
  (void)status;
  if (!in_trap) host_panic("xv6 adapter: exit() called outside a trap");
  longjmp(trap_exit, 1);
}

static uint64 frame_pa(uint32_t frame) { return (uint64)end + (uint64)frame * PGSIZE; }
static int is_frame(uint64 pa) { return pa >= (uint64)end && pa < (uint64)m.frames_end; }
static uint32_t frame_of(uint64 pa) { return (uint32_t)((pa - (uint64)end) / PGSIZE); }
static uint64 va_of(uint32_t vpn) { return (uint64)vpn * PGSIZE; }

/* The MMU's walk: the leaf PTE of va, or 0 when a table on the way is not
 * valid. Never allocates. */
static pte_t *mmu_leaf(pagetable_t pagetable, uint64 va) {
  if (va >= MAXVA) return 0;
  for (int level = 2; level > 0; level--) {
    pte_t pte = pagetable[PX(level, va)];
    if (!(pte & PTE_V) || (pte & (PTE_R | PTE_W | PTE_X))) return 0;
    pagetable = (pagetable_t)PTE2PA(pte);
  }
  return &pagetable[PX(0, va)];
}

static pte_t mmu_pte(struct proc *p, uint32_t vpn) {
  pte_t *pte = mmu_leaf(p->pagetable, va_of(vpn));
  return pte ? *pte : 0;
}

static int user_valid(pte_t pte) { return (pte & PTE_V) && (pte & PTE_U); }
static int store_allowed(pte_t pte) { return user_valid(pte) && (pte & PTE_W); }

static struct slot *find(uint32_t pid) {
  for (uint32_t i = 0; i < m.config.procs; i++)
    if (m.slots[i].proc && (uint32_t)m.slots[i].proc->pid == pid) return &m.slots[i];
  return 0;
}

static uint32_t live_count(void) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < m.config.procs; i++) n += m.slots[i].proc != 0;
  return n;
}

/* Keeping pages off the lab's free list, and handing them back. */

static void keep(char *page) { m.kept[m.kept_count++] = page; }

static void release_kept(uint32_t n) {
  while (n-- > 0 && m.kept_count > 0) kfree(m.kept[--m.kept_count]);
}

/* Takes back every kept page the lab freed (a page table of an exited
 * process) or did not use. They are on top of the free list: kfree pushes
 * and kalloc pops there. */
static void reclaim_kept(void) {
  for (;;) {
    char *page = kalloc();
    if (!page) return;
    if (is_frame((uint64)page)) {
      kfree(page);
      return;
    }
    keep(page);
  }
}

/* Counts the free list by taking every page off it and putting them back
 * in the order they were: the lab's allocator is the only one who knows
 * its list, and this works for any list it keeps. */
static void count_free(void) {
  uint32_t total = m.config.frames;
  char **taken = host_calloc(total + 1, sizeof *taken);
  uint32_t n = 0;
  for (uint32_t f = 0; f < total; f++) m.on_free_list[f] = 0;
  for (;;) {
    char *page = kalloc();
    if (!page) break;
    if (!is_frame((uint64)page)) {
      keep(page);
      continue;
    }
    if (n == total) host_panic("xv6 adapter: the free list holds a frame twice (freed twice?)");
    taken[n++] = page;
    if (m.on_free_list[frame_of((uint64)page)])
      host_panic("xv6 adapter: the free list holds a frame twice (freed twice?)");
    m.on_free_list[frame_of((uint64)page)] = 1;
  }
  while (n > 0) kfree(taken[--n]);
  host_free(taken);
}

static void count_maps(void) {
  for (uint32_t f = 0; f < m.config.frames; f++) m.maps[f] = 0;
  for (uint32_t i = 0; i < m.config.procs; i++) {
    struct proc *p = m.slots[i].proc;
    if (!p) continue;
    for (uint32_t vpn = 0; vpn < m.config.pages; vpn++) {
      pte_t pte = mmu_pte(p, vpn);
      if (user_valid(pte) && is_frame(PTE2PA(pte))) m.maps[frame_of(PTE2PA(pte))]++;
    }
  }
}

static void refresh_views(void) {
  if (m.view_epoch == m.epoch) return;
  count_free();
  count_maps();
  m.free_count = 0;
  for (uint32_t f = 0; f < m.config.frames; f++) m.free_count += m.on_free_list[f];
  m.view_epoch = m.epoch;
}

/* The views in the middle of an op, which the views after it must not
 * reuse. */
static void refresh_views_now(void) {
  m.view_epoch = m.epoch - 1;
  refresh_views();
  m.view_epoch = m.epoch - 1;
}

static uint32_t free_frames_now(void) {
  refresh_views_now();
  return m.free_count;
}

/* Every leaf of a live process must be one of the machine's frames, and
 * every table above the frames: a lab that took a frame for a page table,
 * or a kept page for data, cannot be judged by frame numbers. */
static void check_layout(struct proc *p) {
  for (uint32_t vpn = 0; vpn < m.config.pages; vpn++) {
    pte_t pte = mmu_pte(p, vpn);
    if (user_valid(pte) && !is_frame(PTE2PA(pte))) {
      host_note("pid %d vpn %u maps physical page %p, which is not a user frame", p->pid, vpn,
                (void *)PTE2PA(pte));
      host_panic("xv6 adapter: a user page is not one of the machine's frames");
    }
  }
}

/* Processes. */

static struct proc *new_proc(struct slot *s, uint32_t index) {
  struct proc *p = host_calloc(1, sizeof *p);
  p->trapframe = host_calloc(1, sizeof *p->trapframe);
  p->kstack = KSTACK((int)index);
  p->state = RUNNABLE;
  s->kind = host_calloc(m.config.pages, 1);
  return p;
}

static void drop_proc(struct slot *s) {
  host_free(s->proc->trapframe);
  host_free(s->proc);
  host_free(s->kind);
  s->proc = 0;
  s->kind = 0;
}

/* Runs call(arg), the lab's code, on behalf of p; returns 0 when it called
 * exit(). setjmp is here, in the frame that stays live while the lab runs. */
static int as_process(struct proc *p, void (*call)(void *), void *arg) {
  xv6_hart.proc = p;
  xv6_hart.sstatus = 0;
  in_trap = 1;
  if (setjmp(trap_exit) != 0) {
    in_trap = 0;
    return 0;
  }
  call(arg);
  in_trap = 0;
  return 1;
}

static void call_usertrap(void *arg) {
  (void)arg;
  usertrap();
}

struct copyout_call {
  pagetable_t pagetable;
  uint64 va;
  uint32 data;
  int result;
};

static void call_copyout(void *arg) {
  struct copyout_call *c = arg;
  c->result = copyout(c->pagetable, c->va, (char *)&c->data, sizeof c->data);
}

static void end_process(struct slot *s) {
  struct proc *p = s->proc;
  xv6_hart.proc = p;
  uvmfree(p->pagetable, p->sz);
  reclaim_kept();
  drop_proc(s);
}

/* A store to (p, va) as the hart does it: retried until the PTE lets it
 * through, with a store page fault (scause 15) delivered to usertrap()
 * each time it does not. Returns 0 when the lab killed the process. A
 * fault the lab never resolves loops here, which cowcheck reports as a
 * HANG. */
static int store_fault_until_writable(struct proc *p, uint64 va) {
  while (!store_allowed(mmu_pte(p, (uint32_t)(va / PGSIZE)))) {
    xv6_hart.scause = 15;
    xv6_hart.stval = va;
    xv6_hart.sepc = 0x1000;
    if (!as_process(p, call_usertrap, 0)) return 0;
  }
  return 1;
}

static cow_fault fault_kind(pte_t before, pte_t after) {
  if (store_allowed(before)) return COW_FAULT_NONE;
  return PTE2PA(before) == PTE2PA(after) ? COW_FAULT_REUSE : COW_FAULT_COPY;
}

/* Why the lab refused a store, from the page before it: no page there
 * (bad address), a page never writable (protection fault), else it killed
 * the process, as the lab does when kalloc() finds no page for the copy
 * (cowcheck's RC says whether no frame was free). */
static cow_status refusal(struct slot *s, uint32_t vpn, pte_t before) {
  s->proc->killed = 0;
  if (vpn >= m.config.pages || !user_valid(before)) return COW_BAD_ADDRESS;
  if (!(before & PTE_W) && !(before & COWCHECK_COW_BIT)) return COW_PROT_FAULT;
  end_process(s);
  return COW_KILLED;
}

/* The table. */

static cow_instance *xv6_create(const struct cow_config *config) {
  if (booted) return 0;
  host_restore_globals();
  uint64 pool = (PHYSTOP - (uint64)end) / PGSIZE;
  uint64 needed = (uint64)config->frames + (uint64)TABLES_PER_PROC * (config->procs + 1);
  if (config->pages > 512 || needed > pool || config->policy != COW_REUSE_PAGECOUNT ||
      config->oom != COW_OOM_KILL) {
    host_note(
        "this machine (pages %u, frames %u, procs %u, policy %u, oom %u) is not one an xv6 "
        "lab runs: it needs --policy pagecount --oom kill, pages <= 512 and frames + 3 * "
        "(procs + 1) <= %lu",
        config->pages, config->frames, config->procs, config->policy, config->oom,
        (unsigned long)pool);
    return 0;
  }
  if (host_map_memory((unsigned long)end, PHYSTOP - (uint64)end) != 0 ||
      host_map_trampoline(TRAMPOLINE) != 0) {
    host_note("cannot map physical memory at %p or the trampoline at %p", (void *)end,
              (void *)TRAMPOLINE);
    return 0;
  }
  m.config = *config;
  m.frames_end = end + (uint64)config->frames * PGSIZE;
  m.slots = host_calloc(config->procs, sizeof *m.slots);
  m.kept = host_calloc(pool, sizeof *m.kept);
  m.maps = host_calloc(config->frames, sizeof *m.maps);
  m.on_free_list = host_calloc(config->frames, 1);
  m.epoch = 1;

  kinit();
  /* kinit freed [end, PHYSTOP) upwards, so the pages above the frames
   * come off the free list first. */
  for (uint64 i = config->frames; i < pool; i++) {
    char *page = kalloc();
    if (!page || is_frame((uint64)page))
      host_panic("xv6 adapter: kalloc() did not return the page kfree() freed last");
    keep(page);
  }

  /* Process 1, as exec maps a data segment: zeroed, readable, writable. */
  struct slot *s = &m.slots[0];
  s->proc = new_proc(s, 0);
  struct proc *p = s->proc;
  p->pid = 1;
  m.next_pid = 2;
  release_kept(1);
  p->pagetable = uvmcreate();
  char **pages = host_calloc(config->pages, sizeof *pages);
  for (uint32_t vpn = 0; vpn < config->pages; vpn++)
    if (!(pages[vpn] = kalloc())) host_panic("xv6 adapter: no frame for process 1");
  /* The frames first, then the two tables mappages() takes. */
  release_kept(TABLES_PER_PROC - 1);
  for (uint32_t vpn = 0; vpn < config->pages; vpn++) {
    memset(pages[vpn], 0, PGSIZE);
    if (mappages(p->pagetable, va_of(vpn), PGSIZE, (uint64)pages[vpn], PTE_R | PTE_W | PTE_U))
      host_panic("xv6 adapter: no page table for process 1");
    s->kind[vpn] = COW_MAP_PRIVATE_ANON;
  }
  host_free(pages);
  p->sz = (uint64)config->pages * PGSIZE;
  reclaim_kept();
  check_layout(p);
  booted = 1;
  return (cow_instance *)&m;
}

static void xv6_destroy(cow_instance *instance) {
  (void)instance;
  for (uint32_t i = 0; i < m.config.procs; i++)
    if (m.slots[i].proc) drop_proc(&m.slots[i]);
  host_free(m.slots);
  host_free(m.kept);
  host_free(m.maps);
  host_free(m.on_free_list);
  booted = 0;
}

static cow_status xv6_fork(cow_instance *instance, uint32_t pid, uint32_t *child) {
  (void)instance;
  m.epoch++;
  struct slot *parent = find(pid);
  if (!parent) return COW_NO_SUCH_PROCESS;
  if (live_count() >= m.config.procs) return COW_PROC_LIMIT;
  uint32_t index = 0;
  while (m.slots[index].proc) index++;
  struct slot *s = &m.slots[index];
  struct proc *p = parent->proc;
  /* A root and a level-1 table always; the level-0 table only when a frame
   * is free, so that fork fails, half way through uvmcopy(), exactly when
   * xv6's would for want of a page. */
  uint32_t tables = free_frames_now() > 0 ? TABLES_PER_PROC : TABLES_PER_PROC - 1;
  release_kept(tables);
  s->proc = new_proc(s, index);
  struct proc *np = s->proc;
  xv6_hart.proc = p;
  np->pagetable = uvmcreate();
  int copied = np->pagetable != 0 && uvmcopy(p->pagetable, np->pagetable, p->sz) == 0;
  if (!copied) {
    if (np->pagetable) uvmfree(np->pagetable, 0);
    reclaim_kept();
    drop_proc(s);
    return COW_OUT_OF_MEMORY;
  }
  reclaim_kept();
  np->sz = p->sz;
  np->pid = (int)m.next_pid++;
  for (uint32_t vpn = 0; vpn < m.config.pages; vpn++) s->kind[vpn] = parent->kind[vpn];
  check_layout(np);
  *child = (uint32_t)np->pid;
  return COW_OK;
}

/* A store to (pid, vpn, word): the process's own, as the hart makes it
 * (write), or the kernel's, through the lab's copyout(). */
static cow_status store(uint32_t pid, uint32_t vpn, uint32_t word, uint32_t value, cow_fault *fault,
                        int by_kernel) {
  m.epoch++;
  *fault = COW_FAULT_NONE;
  struct slot *s = find(pid);
  if (!s) return COW_NO_SUCH_PROCESS;
  if (word >= m.config.words) return COW_BAD_ADDRESS;
  uint64 va = va_of(vpn) + (uint64)word * 4;
  pte_t before = vpn < m.config.pages ? mmu_pte(s->proc, vpn) : 0;
  if (by_kernel) {
    struct copyout_call call = {s->proc->pagetable, va, value, -1};
    if (!as_process(s->proc, call_copyout, &call) || call.result != 0)
      return refusal(s, vpn, before);
  } else {
    if (!store_fault_until_writable(s->proc, va)) return refusal(s, vpn, before);
    *(uint32 *)(PTE2PA(mmu_pte(s->proc, vpn)) + (uint64)word * 4) = value;
  }
  *fault = fault_kind(before, mmu_pte(s->proc, vpn));
  check_layout(s->proc);
  return COW_OK;
}

static cow_status xv6_write(cow_instance *instance, uint32_t pid, uint32_t vpn, uint32_t word,
                            uint32_t value, cow_fault *fault) {
  (void)instance;
  return store(pid, vpn, word, value, fault, 0);
}

static cow_status xv6_read(cow_instance *instance, uint32_t pid, uint32_t vpn, uint32_t word,
                           uint32_t *value) {
  (void)instance;
  struct slot *s = find(pid);
  if (!s) return COW_NO_SUCH_PROCESS;
  pte_t pte = mmu_pte(s->proc, vpn);
  if (word >= m.config.words || vpn >= m.config.pages || !user_valid(pte)) return COW_BAD_ADDRESS;
  *value = *(uint32 *)(PTE2PA(pte) + (uint64)word * 4);
  return COW_OK;
}

static cow_status xv6_exit(cow_instance *instance, uint32_t pid) {
  (void)instance;
  m.epoch++;
  struct slot *s = find(pid);
  if (!s) return COW_NO_SUCH_PROCESS;
  end_process(s);
  return COW_OK;
}

static cow_status xv6_copyout(cow_instance *instance, uint32_t pid, uint32_t vpn, uint32_t word,
                              uint32_t value, cow_fault *fault) {
  (void)instance;
  return store(pid, vpn, word, value, fault, 1);
}

/* mmap of text, as exec maps a text segment: the file's words in fresh
 * frames, read-only and executable. The frames are taken at once, so it
 * fails when fewer are free than the pages it maps (less those its unmap
 * frees). */
static cow_status xv6_mmap(cow_instance *instance, uint32_t pid, uint32_t vpn, uint32_t count,
                           cow_map_kind kind) {
  (void)instance;
  m.epoch++;
  struct slot *s = find(pid);
  if (!s) return COW_NO_SUCH_PROCESS;
  if (count == 0 || vpn >= m.config.pages || count > m.config.pages - vpn) return COW_BAD_ADDRESS;
  if (kind != COW_MAP_TEXT) return COW_UNSUPPORTED;
  refresh_views_now();
  uint32_t freed = 0;
  for (uint32_t v = vpn; v < vpn + count; v++) {
    pte_t pte = mmu_pte(s->proc, v);
    if (user_valid(pte) && m.maps[frame_of(PTE2PA(pte))] == 1) freed++;
  }
  if (m.free_count + freed < count) return COW_OUT_OF_MEMORY;
  struct proc *p = s->proc;
  xv6_hart.proc = p;
  for (uint32_t v = vpn; v < vpn + count; v++) UVMUNMAP_PAGES(p->pagetable, va_of(v), 1, 1);
  for (uint32_t v = vpn; v < vpn + count; v++) {
    char *page = kalloc();
    if (!page) host_panic("xv6 adapter: a frame counted free could not be allocated");
    memset(page, 0, PGSIZE);
    for (uint32_t w = 0; w < m.config.words; w++) ((uint32 *)page)[w] = 1000 + 10 * v + w;
    if (mappages(p->pagetable, va_of(v), PGSIZE, (uint64)page, PTE_R | PTE_X | PTE_U) != 0)
      host_panic("xv6 adapter: mappages() found no page table for text");
    s->kind[v] = COW_MAP_TEXT;
  }
  check_layout(p);
  return COW_OK;
}

/* White-box views. */

static cow_status xv6_pte(const cow_instance *instance, uint32_t pid, uint32_t vpn,
                          struct cow_pte *out) {
  (void)instance;
  struct slot *s = find(pid);
  if (!s) return COW_NO_SUCH_PROCESS;
  if (vpn >= m.config.pages) return COW_BAD_ADDRESS;
  pte_t pte = mmu_pte(s->proc, vpn);
  out->present = user_valid(pte) ? 1 : 0;
  out->writable = out->present && (pte & PTE_W) ? 1 : 0;
  out->cow = out->present && (pte & COWCHECK_COW_BIT) ? 1 : 0;
  out->frame = out->present ? frame_of(PTE2PA(pte)) : 0;
  out->kind = s->kind[vpn];
  out->exclusive = out->writable;
  out->slot = COW_NO_SLOT;
  return COW_OK;
}

/* A frame's refcount: the lab's own count when cowcheck found it (see
 * xv6_lab.h), else the references the machine can see (the PTEs naming
 * it; 1 for a frame neither mapped nor free, which leaked). */
static cow_status xv6_frame(const cow_instance *instance, uint32_t frame, uint32_t *refcount,
                            uint32_t *contents) {
  (void)instance;
  if (frame >= m.config.frames) return COW_BAD_ADDRESS;
  refresh_views();
  uint64 pa = frame_pa(frame);
#ifdef COWCHECK_REFCOUNT
  *refcount = m.on_free_list[frame] ? 0 : (uint32_t)COWCHECK_REFCOUNT((void *)pa);
#else
  *refcount = m.maps[frame] ? m.maps[frame] : !m.on_free_list[frame];
#endif
  for (uint32_t w = 0; w < m.config.words; w++) contents[w] = ((uint32 *)pa)[w];
  return COW_OK;
}

static uint32_t xv6_free_frames(const cow_instance *instance) {
  (void)instance;
  refresh_views();
  return m.free_count;
}

static cow_status xv6_frame_cache(const cow_instance *instance, uint32_t frame, uint32_t *cache) {
  (void)instance;
  if (frame >= m.config.frames) return COW_BAD_ADDRESS;
  *cache = 0; /* exec copies text into frames of the process's own */
  return COW_OK;
}

static const struct cow_plugin table = {
    .abi_version = COW_ABI_VERSION,
    .struct_size = sizeof(struct cow_plugin),
    .name = "xv6",
    .create = xv6_create,
    .destroy = xv6_destroy,
    .fork = xv6_fork,
    .write = xv6_write,
    .read = xv6_read,
    .exit = xv6_exit,
    .pte = xv6_pte,
    .frame = xv6_frame,
    .free_frames = xv6_free_frames,
    .mmap = xv6_mmap,
    .copyout = xv6_copyout,
    .map_kinds = 1u << COW_MAP_TEXT,
    .frame_cache = xv6_frame_cache,
};

__attribute__((visibility("default"))) const struct cow_plugin *cow_plugin_entry(void) {
  return &table;
}
