/* The glue between the kernel (kernel.c) and cowcheck's plug-in ABI
 * (cowcheck/cow_abi.h, version 2). It checks pids and addresses in the order
 * the oracle expects, plays the MMU for loads and stores, maps the kernel's
 * answers to the ABI's statuses, and shows page tables, frames, swap slots,
 * pins and processes to the oracle. To check your own kernel, keep the shape
 * of this file and call your kernel's functions instead. */
#include <cowcheck/cow_abi.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"

#ifndef COW_PLUGIN_NAME
#define COW_PLUGIN_NAME "cow-example"
#endif

/* Only cow_plugin_entry is exported (the library is built with hidden
 * visibility), so the kernel's names cannot clash with the loader's. */
#if defined(__GNUC__)
#define COW_EXPORT __attribute__((visibility("default")))
#else
#define COW_EXPORT
#endif

/* The oracle's opaque handle: one machine. */
struct cow_instance {
  struct kernel kernel;
};

static cow_instance *plugin_create(const struct cow_config *config) {
  cow_instance *in;
  /* Process 1 maps every page, and frame and slot numbers must fit a PTE. */
  if (config->pages == 0 || config->frames < config->pages || config->frames > MAXFRAMES ||
      config->procs == 0 || config->words == 0 || config->words > COW_MAX_WORDS ||
      (uint64_t)config->pages * config->procs >= MAXFRAMES ||
      config->policy > COW_REUSE_EXCLUSIVE || config->oom > COW_OOM_KILL)
    return NULL;
  in = malloc(sizeof *in);
  if (!in) return NULL;
  if (kboot(&in->kernel, config->pages, config->frames, config->procs, config->words,
            (enum reuse_policy)config->policy, (enum oom_policy)config->oom) != 0) {
    free(in);
    return NULL;
  }
  return in;
}

static void plugin_destroy(cow_instance *in) {
  khalt(&in->kernel);
  free(in);
}

static cow_status to_status(enum kerr r) {
  switch (r) {
    case K_OK: return COW_OK;
    case K_NOMEM: return COW_OUT_OF_MEMORY;
    case K_PROCLIMIT: return COW_PROC_LIMIT;
    case K_BADADDR: return COW_BAD_ADDRESS;
    case K_PROT: return COW_PROT_FAULT;
    case K_BUSY: return COW_BUSY;
    case K_NOPIN: return COW_NO_SUCH_PIN;
    case K_KILLED: return COW_KILLED;
  }
  return COW_OK;
}

static cow_fault to_fault(enum kfault f) {
  switch (f) {
    case KF_NONE: return COW_FAULT_NONE;
    case KF_COPY: return COW_FAULT_COPY;
    case KF_REUSE: return COW_FAULT_REUSE;
    case KF_ZERO: return COW_FAULT_ZERO_FILL;
    case KF_SWAPIN: return COW_FAULT_SWAP_IN;
    case KF_PAGEIN: return COW_FAULT_PAGE_IN;
  }
  return COW_FAULT_NONE;
}

/* The pid first: a dead process has no address space to be outside of, and
 * a process stopped in vfork does nothing until its child lets it go. */
static cow_status find_proc(cow_instance *in, uint32_t pid, struct proc **p) {
  *p = findproc(&in->kernel, pid);
  if (!*p) return COW_NO_SUCH_PROCESS;
  if ((*p)->suspended_by) return COW_SUSPENDED;
  return COW_OK;
}

/* Then the address: inside the space, inside the page, and mapped. */
static cow_status find_page(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                            struct proc **p) {
  cow_status status = find_proc(in, pid, p);
  if (status != COW_OK) return status;
  if (vpn >= in->kernel.pages || word >= in->kernel.words ||
      proc_vma(&in->kernel, *p, vpn)->kind == MAP_NONE)
    return COW_BAD_ADDRESS;
  return COW_OK;
}

static cow_status plugin_fork(cow_instance *in, uint32_t pid, uint32_t *child) {
  struct proc *p;
  cow_status status = find_proc(in, pid, &p);
  if (status != COW_OK) return status;
  return to_status(kfork(&in->kernel, p, child));
}

static cow_status plugin_vfork(cow_instance *in, uint32_t pid, uint32_t *child) {
  struct proc *p;
  cow_status status = find_proc(in, pid, &p);
  if (status != COW_OK) return status;
  return to_status(kvfork(&in->kernel, p, child));
}

static cow_status plugin_exit(cow_instance *in, uint32_t pid) {
  struct proc *p;
  cow_status status = find_proc(in, pid, &p);
  if (status != COW_OK) return status;
  kexit(&in->kernel, p);
  return COW_OK;
}

static cow_status plugin_exec(cow_instance *in, uint32_t pid) {
  struct proc *p;
  cow_status status = find_proc(in, pid, &p);
  if (status != COW_OK) return status;
  kexec(&in->kernel, p);
  return COW_OK;
}

static cow_status plugin_mmap(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t count,
                              cow_map_kind kind) {
  struct proc *p;
  cow_status status = find_proc(in, pid, &p);
  if (status != COW_OK) return status;
  /* enum mapkind numbers the kinds as the ABI does. */
  return to_status(kmmap(&in->kernel, p, vpn, count, (enum mapkind)kind));
}

static cow_status plugin_munmap(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t count) {
  struct proc *p;
  cow_status status = find_proc(in, pid, &p);
  if (status != COW_OK) return status;
  return to_status(kmunmap(&in->kernel, p, vpn, count));
}

/* A store, as the CPU does it: a store to a PTE that is not valid or not
 * writable traps to the fault handler, and the store is retried when the
 * handler returns. A correct handler leaves the PTE writable at the first
 * try; one that does not keeps this loop going, which the oracle reports as
 * a hang. */
static cow_status plugin_write(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                               uint32_t value, cow_fault *fault) {
  struct kernel *k = &in->kernel;
  struct proc *p;
  pte_t *pte;
  cow_status status = find_page(in, pid, vpn, word, &p);
  *fault = COW_FAULT_NONE;
  if (status != COW_OK) return status;
  pte = walk(k, proc_pagetable(k, p), vpn);
  while (!(*pte & PTE_V) || !(*pte & PTE_W)) {
    enum kfault kf;
    enum kerr r = vmfault(k, p, vpn, 1, &kf);
    if (r != K_OK) return to_status(r);
    *fault = to_fault(kf);
  }
  frame2pa(k, PTE2FRAME(*pte))[word] = value;
  return COW_OK;
}

/* A load: a page that is not present traps (a swap-in or a page-in); an
 * untouched anonymous page reads as zeros without a frame. */
static cow_status plugin_read_fault(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                                    uint32_t *value, cow_fault *fault) {
  struct kernel *k = &in->kernel;
  struct proc *p;
  pte_t *pte;
  cow_status status = find_page(in, pid, vpn, word, &p);
  *fault = COW_FAULT_NONE;
  if (status != COW_OK) return status;
  pte = walk(k, proc_pagetable(k, p), vpn);
  if (!(*pte & PTE_V)) {
    enum kfault kf;
    enum kerr r = vmfault(k, p, vpn, 0, &kf);
    if (r != K_OK) return to_status(r);
    *fault = to_fault(kf);
  }
  *value = (*pte & PTE_V) ? frame2pa(k, PTE2FRAME(*pte))[word] : 0;
  return COW_OK;
}

static cow_status plugin_read(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                              uint32_t *value) {
  cow_fault fault;
  return plugin_read_fault(in, pid, vpn, word, value, &fault);
}

static cow_status plugin_copyout(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                                 uint32_t value, cow_fault *fault) {
  struct proc *p;
  enum kfault kf = KF_NONE;
  cow_status status = find_page(in, pid, vpn, word, &p);
  *fault = COW_FAULT_NONE;
  if (status != COW_OK) return status;
  status = to_status(copyout(&in->kernel, p, vpn, word, value, &kf));
  *fault = status == COW_OK ? to_fault(kf) : COW_FAULT_NONE;
  return status;
}

static cow_status plugin_swapout(cow_instance *in, uint32_t pid, uint32_t vpn) {
  struct proc *p;
  cow_status status = find_page(in, pid, vpn, 0, &p);
  if (status != COW_OK) return status;
  return to_status(kswapout(&in->kernel, p, vpn));
}

static cow_status plugin_pin(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t rw,
                             uint32_t *id, cow_fault *fault) {
  struct proc *p;
  enum kfault kf = KF_NONE;
  cow_status status = find_page(in, pid, vpn, 0, &p);
  *fault = COW_FAULT_NONE;
  if (status != COW_OK) return status;
  status = to_status(kpin(&in->kernel, p, vpn, rw != 0, id, &kf));
  if (status == COW_OK) *fault = to_fault(kf);
  return status;
}

static cow_status plugin_unpin(cow_instance *in, uint32_t id, uint32_t word, uint32_t *value) {
  return to_status(kunpin(&in->kernel, id, word, value));
}

/* ---- The white-box view: with these, the oracle checks WP, REUSE and RC
 * after every op, not only what reads return. ---- */

static cow_status plugin_pte(const cow_instance *in, uint32_t pid, uint32_t vpn,
                             struct cow_pte *out) {
  const struct kernel *k = &in->kernel;
  struct proc *p = findproc(k, pid);
  pte_t pte;
  if (!p) return COW_NO_SUCH_PROCESS;
  if (vpn >= k->pages) return COW_BAD_ADDRESS;
  pte = *walk(k, proc_pagetable(k, p), vpn);
  out->kind = proc_vma(k, p, vpn)->kind;
  out->present = (pte & PTE_V) != 0;
  out->writable = (pte & PTE_W) != 0;
  out->cow = (pte & PTE_COW) != 0;
  out->exclusive = (pte & PTE_EXCL) != 0;
  out->frame = out->present ? PTE2FRAME(pte) : 0;
  out->slot = !out->present && (pte & PTE_SWAP) ? PTE2SLOT(pte) : COW_NO_SLOT;
  return COW_OK;
}

static cow_status plugin_frame(const cow_instance *in, uint32_t frame, uint32_t *refcount,
                               uint32_t *contents) {
  const struct kernel *k = &in->kernel;
  if (frame >= k->nframes) return COW_BAD_ADDRESS;
  *refcount = k->refcount[frame];
  memcpy(contents, frame2pa(k, frame), k->words * sizeof *contents);
  return COW_OK;
}

static uint32_t plugin_free_frames(const cow_instance *in) { return in->kernel.nfree; }

static cow_status plugin_proc(const cow_instance *in, uint32_t pid, struct cow_proc *out) {
  const struct kernel *k = &in->kernel;
  struct proc *p = findproc(k, pid);
  if (!p) return COW_NO_SUCH_PROCESS;
  out->space = space_owner(k, p);
  out->suspended = p->suspended_by != 0;
  return COW_OK;
}

static cow_status plugin_frame_cache(const cow_instance *in, uint32_t frame, uint32_t *cache) {
  if (frame >= in->kernel.nframes) return COW_BAD_ADDRESS;
  *cache = in->kernel.cache_obj[frame] != NOOBJ;
  return COW_OK;
}

static cow_status plugin_slot(const cow_instance *in, uint32_t slot, uint32_t *refcount,
                              uint32_t *contents) {
  const struct kernel *k = &in->kernel;
  if (slot >= k->nslots) return COW_BAD_ADDRESS;
  *refcount = k->slotref[slot];
  memcpy(contents, k->slotmem + (size_t)slot * k->words, k->words * sizeof *contents);
  return COW_OK;
}

static cow_status plugin_pin_view(const cow_instance *in, uint32_t id, struct cow_pin *out) {
  const struct pin *pin = findpin(&in->kernel, id);
  if (!pin) return COW_NO_SUCH_PIN;
  out->frame = pin->frame;
  out->rw = pin->rw;
  return COW_OK;
}

static const struct cow_plugin plugin = {
    .abi_version = COW_ABI_VERSION,
    .struct_size = sizeof(struct cow_plugin),
    .name = COW_PLUGIN_NAME,
    .create = plugin_create,
    .destroy = plugin_destroy,
    .fork = plugin_fork,
    .write = plugin_write,
    .read = plugin_read,
    .exit = plugin_exit,
    .pte = plugin_pte,
    .frame = plugin_frame,
    .free_frames = plugin_free_frames,
    /* Version 2: every op, every mapping kind (map_kinds 0), every view. */
    .read_fault = plugin_read_fault,
    .exec = plugin_exec,
    .vfork = plugin_vfork,
    .mmap = plugin_mmap,
    .munmap = plugin_munmap,
    .swapout = plugin_swapout,
    .pin = plugin_pin,
    .unpin = plugin_unpin,
    .copyout = plugin_copyout,
    .map_kinds = 0,
    .proc = plugin_proc,
    .frame_cache = plugin_frame_cache,
    .slot = plugin_slot,
    .pin_view = plugin_pin_view,
};

COW_EXPORT const struct cow_plugin *cow_plugin_entry(void) { return &plugin; }
