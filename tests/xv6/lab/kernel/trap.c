#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "riscv.h"
#include "spinlock.h"
#include "proc.h"
#include "defs.h"

struct spinlock tickslock;
uint ticks;

extern char trampoline[], uservec[], userret[];

// in kernelvec.S, calls kerneltrap().
void kernelvec();

extern int devintr();

void
trapinit(void)
{
  initlock(&tickslock, "time");
}

// take exceptions and traps in the kernel.
void
trapinithart(void)
{
  w_stvec((uint64)kernelvec);
}

// An interrupt, exception or system call from user space; trampoline.S
// jumps here.
void
usertrap(void)
{
  int which_dev = 0;

  if((r_sstatus() & SSTATUS_SPP) != 0)
    panic("usertrap: not from user mode");

  // Traps from here on are the kernel's.
  w_stvec((uint64)kernelvec);

  struct proc *p = myproc();

  // the user pc to return to.
  p->trapframe->epc = r_sepc();

  if(r_scause() == 8){
    // system call

    if(killed(p))
      exit(-1);

    // return past the ecall instruction.
    p->trapframe->epc += 4;

    intr_on();

    syscall();
  } else if(r_scause() == 15){
    // store page fault: copy-on-write, or a bad store.
    if(cowfault(p->pagetable, r_stval()) != 0)
      setkilled(p);
  } else if((which_dev = devintr()) != 0){
    // ok
  } else {
    printf("usertrap(): unexpected scause %p pid=%d\n", (void*)r_scause(), p->pid);
    printf("            sepc=%p stval=%p\n", (void*)r_sepc(), (void*)r_stval());
    setkilled(p);
  }

  if(killed(p))
    exit(-1);

  // give up the CPU on a timer interrupt.
  if(which_dev == 2)
    yield();

  usertrapret();
}

// back to user space through the trampoline.
void
usertrapret(void)
{
  struct proc *p = myproc();

  // No traps until the trampoline is back in user space.
  intr_off();

  // user traps go to uservec in trampoline.S
  uint64 trampoline_uservec = TRAMPOLINE + (uservec - trampoline);
  w_stvec(trampoline_uservec);

  // what uservec needs on the next trap.
  p->trapframe->kernel_satp = r_satp();
  p->trapframe->kernel_sp = p->kstack + PGSIZE;
  p->trapframe->kernel_trap = (uint64)usertrap;
  p->trapframe->kernel_hartid = r_tp();

  // sret goes to user mode, with interrupts on.
  unsigned long x = r_sstatus();
  x &= ~SSTATUS_SPP;
  x |= SSTATUS_SPIE;
  w_sstatus(x);

  w_sepc(p->trapframe->epc);

  uint64 satp = MAKE_SATP(p->pagetable);

  // userret in trampoline.S switches to the user page table and sret's.
  uint64 trampoline_userret = TRAMPOLINE + (userret - trampoline);
  ((void (*)(uint64))trampoline_userret)(satp);
}

// Interrupts and exceptions taken in the kernel, through kernelvec.
void
kerneltrap()
{
  int which_dev = 0;
  uint64 sepc = r_sepc();
  uint64 sstatus = r_sstatus();
  uint64 scause = r_scause();

  if((sstatus & SSTATUS_SPP) == 0)
    panic("kerneltrap: not from supervisor mode");
  if(intr_get() != 0)
    panic("kerneltrap: interrupts enabled");

  if((which_dev = devintr()) == 0){
    printf("scause %p\n", (void*)scause);
    panic("kerneltrap");
  }

  if(which_dev == 2 && myproc() != 0)
    yield();

  w_sepc(sepc);
  w_sstatus(sstatus);
}

void
clockintr()
{
  acquire(&tickslock);
  ticks++;
  wakeup(&ticks);
  release(&tickslock);
}

// 2 for a timer interrupt, 1 for another device, 0 when not an interrupt.
int
devintr()
{
  uint64 scause = r_scause();

  if((scause & 0x8000000000000000L) && (scause & 0xff) == 9){
    int irq = plic_claim();
    if(irq == UART0_IRQ){
      uartintr();
    } else if(irq == VIRTIO0_IRQ){
      virtio_disk_intr();
    } else if(irq){
      printf("unexpected interrupt irq=%d\n", irq);
    }
    if(irq)
      plic_complete(irq);
    return 1;
  } else if(scause == 0x8000000000000001L){
    if(cpuid() == 0)
      clockintr();
    w_sip(r_sip() & ~2);
    return 2;
  } else {
    return 0;
  }
}
