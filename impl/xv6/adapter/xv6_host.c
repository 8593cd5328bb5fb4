/* The adapter's host side: the only file that includes libc headers, since
 * the lab's headers declare printf, exit and memset as xv6 has them. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xv6_adapter.h"

/* The library's writable segment (.data and .bss: the lab's free list,
 * refcounts and locks, and the adapter's own state), as loaded, and what
 * this process mapped: kept across host_restore_globals(). */
static struct {
  void *start;
  size_t length;
  void *pristine;
  unsigned long memory, trampoline; /* mapped at these addresses, or 0 */
} globals;

/* Maps [start, start + length) once per process: a second instance in the
 * same worker finds it there. */
__attribute__((visibility("hidden"))) int host_map_memory(unsigned long start,
                                                          unsigned long length) {
  if (globals.memory == start) return 0;
  void *at = mmap((void *)start, length, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
  if (at == MAP_FAILED) return -1;
  if (at != (void *)start) {
    munmap(at, length);
    return -1;
  }
  globals.memory = start;
  return 0;
}

/* usertrapret() ends by calling userret at TRAMPOLINE + (userret -
 * trampoline): a page of x86 `ret` there brings it back to usertrap()'s
 * caller, as sret would bring the hart back to user space. */
__attribute__((visibility("hidden"))) int host_map_trampoline(unsigned long address) {
  if (globals.trampoline == address) return 0;
  void *at = mmap((void *)address, 4096, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
  if (at == MAP_FAILED || at != (void *)address) return -1;
  memset(at, 0xc3, 4096);
  if (mprotect(at, 4096, PROT_READ | PROT_EXEC) != 0) return -1;
  globals.trampoline = address;
  return 0;
}

__attribute__((visibility("hidden"))) void *host_calloc(unsigned long count, unsigned long size) {
  void *p = calloc(count, size);
  if (!p) host_panic("xv6 adapter: out of host memory");
  return p;
}

__attribute__((visibility("hidden"))) void host_free(void *p) { free(p); }

__attribute__((visibility("hidden"))) void host_vprint(const char *format, va_list args) {
  vfprintf(stderr, format, args);
}

__attribute__((visibility("hidden"))) void host_note(const char *format, ...) {
  va_list args;
  va_start(args, format);
  fputs("xv6 adapter: ", stderr);
  vfprintf(stderr, format, args);
  fputc('\n', stderr);
  va_end(args);
}

/* The panic message goes to panic.txt beside this library, where cowcheck
 * reads it into the CRASH finding, then the worker dies of SIGABRT. */
__attribute__((visibility("hidden"))) void host_panic(const char *message) {
  Dl_info info;
  fprintf(stderr, "panic: %s\n", message);
  if (dladdr((void *)&globals, &info) && info.dli_fname) {
    char path[4096];
    const char *slash = strrchr(info.dli_fname, '/');
    int dir = slash ? (int)(slash - info.dli_fname) : 0;
    snprintf(path, sizeof path, "%.*s%spanic.txt", dir, info.dli_fname, slash ? "/" : "");
    FILE *f = fopen(path, "w");
    if (f) {
      fprintf(f, "%s", message);
      fclose(f);
    }
  }
  abort();
}

static int find_writable_segment(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  (void)data;
  unsigned long self = (unsigned long)&globals;
  unsigned long lo = 0, hi = 0, relro_end = 0;
  for (int i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    unsigned long start = info->dlpi_addr + ph->p_vaddr;
    if (ph->p_type == PT_GNU_RELRO) relro_end = (start + ph->p_memsz) & ~4095ul;
    if (ph->p_type == PT_LOAD && (ph->p_flags & PF_W) && self >= start &&
        self < start + ph->p_memsz) {
      lo = start;
      hi = start + ph->p_memsz;
    }
  }
  if (!lo) return 0;
  /* The part made read-only after relocation (the GOT) is not restored. */
  if (relro_end > lo && relro_end < hi) lo = relro_end;
  globals.start = (void *)lo;
  globals.length = hi - lo;
  return 1;
}

__attribute__((visibility("hidden"))) void host_restore_globals(void) {
  if (!globals.pristine) {
    if (!dl_iterate_phdr(find_writable_segment, NULL))
      host_panic("xv6 adapter: cannot find the library's data segment");
    globals.pristine = malloc(globals.length);
    if (!globals.pristine) host_panic("xv6 adapter: out of host memory");
    memcpy(globals.pristine, globals.start, globals.length);
    return;
  }
  /* `globals` lives in the segment it restores: keep it across the copy. */
  __typeof__(globals) kept = globals;
  memcpy(kept.start, kept.pristine, kept.length);
  globals = kept;
}
