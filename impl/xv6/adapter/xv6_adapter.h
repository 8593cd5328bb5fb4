/* What the adapter's three C files share. Built by cowcheck beside a lab's
 * kernel/kalloc.c, vm.c and trap.c, compiled for the host; this header uses
 * no xv6 type, so the host side includes it without the lab's headers. */
#ifndef COWCHECK_XV6_ADAPTER_H
#define COWCHECK_XV6_ADAPTER_H

/* The supervisor state the lab's code reads through riscv.h: the shims
 * rewrite every inline-assembly CSR access into a read or write of these. */
struct xv6_hart {
  unsigned long sstatus, sepc, scause, stval, stvec, satp, sip, sie, tp;
  void *proc; /* what myproc() returns */
};
extern struct xv6_hart xv6_hart;

/* xv6_glue.c: the lab's exit() lands here, out of the trap it was called in. */
void xv6_exit_from_trap(int status) __attribute__((noreturn));

/* xv6_host.c: the host's side, with libc. */
int host_map_memory(unsigned long start, unsigned long length);
int host_map_trampoline(unsigned long address);
void *host_calloc(unsigned long count, unsigned long size);
void host_free(void *p);
void host_note(const char *format, ...) __attribute__((format(printf, 1, 2)));
void host_vprint(const char *format, __builtin_va_list args);
void host_panic(const char *message) __attribute__((noreturn));
/* Resets the adapter's and the lab's globals to what they were when the
 * library was loaded, so one worker runs many instances. */
void host_restore_globals(void);
#endif
