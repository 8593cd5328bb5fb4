/* What the lab's kalloc.c, vm.c and trap.c call but do not define: the
 * hart's registers (riscv.h's inline assembly, rewritten to call
 * xv6_asm_*), printf and panic, locks, the current process, and the parts of
 * proc.c, string.c and the device drivers they name. Compiled with the
 * lab's headers but not defs.h, whose return types vary between years. */
#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"

#include "xv6_adapter.h"

#define HIDDEN __attribute__((visibility("hidden")))

HIDDEN struct xv6_hart xv6_hart;
HIDDEN struct cpu cpus[NCPU];

/* The trampoline page's symbols (trampoline.S in xv6): only their offsets
 * matter, and the page at TRAMPOLINE is all `ret`. */
__asm__(
    ".section .rodata\n"
    ".balign 4096\n"
    ".globl trampoline, uservec, userret\n"
    ".hidden trampoline, uservec, userret\n"
    "trampoline:\n"
    "uservec:\n"
    ".skip 64\n"
    "userret:\n"
    ".skip 64\n"
    ".previous\n");

HIDDEN char etext[1];
HIDDEN void kernelvec(void) {}

static int starts(const char *text, const char *prefix) {
  while (*prefix)
    if (*text++ != *prefix++) return 0;
  return 1;
}

static int same(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

/* The register an instruction names: "csrr %0, scause" -> "scause",
 * "csrw stvec, %0" -> "stvec", "mv %0, tp" -> "tp". */
static const char *register_of(const char *text, char *name, int size) {
  const char *p = text;
  while (*p && *p != ' ') p++;
  while (*p == ' ' || *p == '\t') p++;
  if (starts(p, "%0")) {
    p += 2;
    while (*p == ',' || *p == ' ') p++;
  }
  int n = 0;
  while (p[n] && p[n] != ',' && p[n] != ' ' && n < size - 1) {
    name[n] = p[n];
    n++;
  }
  name[n] = 0;
  return name;
}

static unsigned long *hart_register(const char *name) {
  if (same(name, "sstatus")) return &xv6_hart.sstatus;
  if (same(name, "sepc")) return &xv6_hart.sepc;
  if (same(name, "scause")) return &xv6_hart.scause;
  if (same(name, "stval")) return &xv6_hart.stval;
  if (same(name, "stvec")) return &xv6_hart.stvec;
  if (same(name, "satp")) return &xv6_hart.satp;
  if (same(name, "sip")) return &xv6_hart.sip;
  if (same(name, "sie")) return &xv6_hart.sie;
  if (same(name, "tp")) return &xv6_hart.tp;
  return 0; /* machine-mode CSRs, time, pmp: read as 0, writes dropped */
}

HIDDEN unsigned long xv6_asm_read(const char *text) {
  char name[32];
  register_of(text, name, sizeof name);
  if (same(name, "sp") || same(name, "ra")) return (unsigned long)&name;
  unsigned long *reg = hart_register(name);
  return reg ? *reg : 0;
}

HIDDEN void xv6_asm_write(const char *text, unsigned long value) {
  char name[32];
  /* "csrw stvec, %0" names the register first; "mv tp, %0" too. */
  const char *p = text;
  while (*p && *p != ' ') p++;
  while (*p == ' ') p++;
  int n = 0;
  while (p[n] && p[n] != ',' && p[n] != ' ' && n < 31) {
    name[n] = p[n];
    n++;
  }
  name[n] = 0;
  unsigned long *reg = hart_register(name);
  if (reg) *reg = value;
}

HIDDEN void xv6_asm(const char *text) { (void)text; /* sfence.vma, wfi, fence */ }

HIDDEN int printf(char *format, ...) {
  __builtin_va_list args;
  __builtin_va_start(args, format);
  host_vprint(format, args);
  __builtin_va_end(args);
  return 0;
}

HIDDEN void panic(char *message) { host_panic(message); }

HIDDEN void initlock(struct spinlock *lk, char *name) {
  lk->name = name;
  lk->locked = 0;
  lk->cpu = 0;
}
/* One hart, and the adapter calls in one at a time: a lock is a flag, and
 * taking a held one is the deadlock xv6 would panic on. */
HIDDEN void acquire(struct spinlock *lk) {
  if (lk->locked) host_panic("acquire");
  lk->locked = 1;
  lk->cpu = &cpus[0];
}
HIDDEN void release(struct spinlock *lk) {
  if (!lk->locked) host_panic("release");
  lk->locked = 0;
  lk->cpu = 0;
}
HIDDEN int holding(struct spinlock *lk) { return lk->locked && lk->cpu == &cpus[0]; }
HIDDEN void push_off(void) {}
HIDDEN void pop_off(void) {}

HIDDEN struct proc *myproc(void) { return (struct proc *)xv6_hart.proc; }
HIDDEN struct cpu *mycpu(void) { return &cpus[0]; }
HIDDEN int cpuid(void) { return 0; }
HIDDEN void exit(int status) { xv6_exit_from_trap(status); }
HIDDEN int killed(struct proc *p) { return p->killed; }
HIDDEN void setkilled(struct proc *p) { p->killed = 1; }
HIDDEN void yield(void) {}
HIDDEN void wakeup(void *chan) { (void)chan; }
HIDDEN void sleep(void *chan, struct spinlock *lk) {
  (void)chan;
  (void)lk;
  host_panic("sleep: the adapter runs no other process to wake this one");
}
HIDDEN void syscall(void) { host_panic("syscall: the adapter delivers only page faults"); }
HIDDEN int plic_claim(void) { return 0; }
HIDDEN void plic_complete(int irq) { (void)irq; }
HIDDEN void uartintr(void) {}
HIDDEN void virtio_disk_intr(void) {}
HIDDEN void proc_mapstacks(pagetable_t kpgtbl) { (void)kpgtbl; }

HIDDEN void *memset(void *dst, int c, uint n) {
  char *d = (char *)dst;
  for (uint i = 0; i < n; i++) d[i] = (char)c;
  return dst;
}

HIDDEN void *memmove(void *dst, const void *src, uint n) {
  const char *s = (const char *)src;
  char *d = (char *)dst;
  if (s < d && s + n > d) {
    while (n-- > 0) d[n] = s[n];
  } else {
    for (uint i = 0; i < n; i++) d[i] = s[i];
  }
  return dst;
}

HIDDEN int memcmp(const void *v1, const void *v2, uint n) {
  const uchar *a = v1, *b = v2;
  for (uint i = 0; i < n; i++)
    if (a[i] != b[i]) return a[i] - b[i];
  return 0;
}

HIDDEN void *memcpy(void *dst, const void *src, uint n) { return memmove(dst, src, n); }
