/* The glue between the kernel (kernel.c) and cowcheck's plug-in ABI
 * (cowcheck/cow_abi.h). It checks pids and addresses in the order the oracle
 * expects, plays the MMU for loads and stores, and shows page tables and
 * frames to the oracle. To check your own kernel, keep the shape of this
 * file and call your kernel's functions instead. */
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
  /* Process 1 maps every page, and a frame number must fit its PTE field. */
  if (config->pages == 0 || config->frames < config->pages || config->frames > MAXFRAMES ||
      config->procs == 0 || config->words == 0)
    return NULL;
  in = malloc(sizeof *in);
  if (!in) return NULL;
  if (kboot(&in->kernel, config->pages, config->frames, config->procs, config->words) != 0) {
    free(in);
    return NULL;
  }
  return in;
}

static void plugin_destroy(cow_instance *in) {
  khalt(&in->kernel);
  free(in);
}

static cow_status plugin_fork(cow_instance *in, uint32_t pid, uint32_t *child) {
  struct proc *p = findproc(&in->kernel, pid);
  if (!p) return COW_NO_SUCH_PROCESS;
  *child = kfork(&in->kernel, p);
  return *child ? COW_OK : COW_PROC_LIMIT;
}

/* The pid first, then the address: a dead process has no address space to
 * be outside of. */
static cow_status find_page(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                            struct proc **p) {
  *p = findproc(&in->kernel, pid);
  if (!*p) return COW_NO_SUCH_PROCESS;
  if (vpn >= in->kernel.pages || word >= in->kernel.words) return COW_BAD_ADDRESS;
  return COW_OK;
}

/* A store, as the CPU does it: a store to a read-only page traps to the
 * fault handler, and the store is retried when the handler returns. A
 * correct handler leaves the PTE writable at the first try; one that does
 * not keeps this loop going, which the oracle reports as a hang. */
static cow_status plugin_write(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                               uint32_t value, cow_fault *fault) {
  struct kernel *k = &in->kernel;
  struct proc *p;
  pte_t *pte;
  cow_status status = find_page(in, pid, vpn, word, &p);
  *fault = COW_FAULT_NONE;
  if (status != COW_OK) return status;
  pte = walk(k, p->pagetable, vpn);
  while (!(*pte & PTE_W)) {
    switch (cowfault(k, p->pagetable, vpn)) {
      case COWFAULT_REUSED: *fault = COW_FAULT_REUSE; break;
      case COWFAULT_COPIED: *fault = COW_FAULT_COPY; break;
      case COWFAULT_NOMEM: return COW_OUT_OF_MEMORY;
      case COWFAULT_KILL: return COW_PROT_FAULT;
    }
  }
  frame2pa(k, PTE2FRAME(*pte))[word] = value;
  return COW_OK;
}

/* A load never faults here: every page of a live process is mapped, and a
 * read-only page is readable. */
static cow_status plugin_read(cow_instance *in, uint32_t pid, uint32_t vpn, uint32_t word,
                              uint32_t *value) {
  struct proc *p;
  cow_status status = find_page(in, pid, vpn, word, &p);
  if (status != COW_OK) return status;
  *value = frame2pa(&in->kernel, PTE2FRAME(*walk(&in->kernel, p->pagetable, vpn)))[word];
  return COW_OK;
}

static cow_status plugin_exit(cow_instance *in, uint32_t pid) {
  struct proc *p = findproc(&in->kernel, pid);
  if (!p) return COW_NO_SUCH_PROCESS;
  kexit(&in->kernel, p);
  return COW_OK;
}

/* ---- The white-box view: with these three, the oracle checks WP, REUSE
 * and RC after every op, not only what reads return. ---- */

static cow_status plugin_pte(const cow_instance *in, uint32_t pid, uint32_t vpn,
                             struct cow_pte *out) {
  const struct kernel *k = &in->kernel;
  struct proc *p = findproc(k, pid);
  pte_t pte;
  if (!p) return COW_NO_SUCH_PROCESS;
  if (vpn >= k->pages) return COW_BAD_ADDRESS;
  pte = *walk(k, p->pagetable, vpn);
  out->present = (pte & PTE_V) != 0;
  out->writable = (pte & PTE_W) != 0;
  out->cow = (pte & PTE_COW) != 0;
  out->frame = out->present ? PTE2FRAME(pte) : 0;
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
};

COW_EXPORT const struct cow_plugin *cow_plugin_entry(void) { return &plugin; }
