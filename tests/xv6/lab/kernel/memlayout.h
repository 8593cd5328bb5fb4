// Physical memory layout of the qemu "virt" board: the kernel is loaded at
// KERNBASE, and RAM the allocator hands out runs from the kernel's end to
// PHYSTOP.
#define UART0 0x10000000L
#define UART0_IRQ 10
#define VIRTIO0 0x10001000
#define VIRTIO0_IRQ 1
#define PLIC 0x0c000000L

#define KERNBASE 0x80000000L
#define PHYSTOP (KERNBASE + 128*1024*1024)

// The trampoline page is mapped at the highest user and kernel address.
#define TRAMPOLINE (MAXVA - PGSIZE)

// One kernel stack per process, each below a guard page.
#define KSTACK(p) (TRAMPOLINE - ((p)+1)* 2*PGSIZE)

// The trap frame sits just below the trampoline in a user page table.
#define TRAPFRAME (TRAMPOLINE - PGSIZE)
