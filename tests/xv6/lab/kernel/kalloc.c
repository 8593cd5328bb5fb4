// Physical memory allocator for user pages, kernel stacks and page-table
// pages: whole 4096-byte pages on one free list. A page shared
// copy-on-write after fork() is freed when its last reference goes.

#include "types.h"
#include "param.h"
#include "memlayout.h"
#include "spinlock.h"
#include "riscv.h"
#include "defs.h"

void freerange(void *pa_start, void *pa_end);

extern char end[]; // first address after the kernel, from kernel.ld

struct run {
  struct run *next;
};

struct {
  struct spinlock lock;
  struct run *freelist;
} kmem;

// References to each physical page: the PTEs that map it.
#define PA2REF(pa) (((uint64)(pa) - KERNBASE) / PGSIZE)
struct {
  struct spinlock lock;
  int count[(PHYSTOP - KERNBASE) / PGSIZE];
} pageref;

void
kinit()
{
  initlock(&kmem.lock, "kmem");
  initlock(&pageref.lock, "pageref");
  freerange(end, (void*)PHYSTOP);
}

void
freerange(void *pa_start, void *pa_end)
{
  char *p;
  p = (char*)PGROUNDUP((uint64)pa_start);
  for(; p + PGSIZE <= (char*)pa_end; p += PGSIZE){
    pageref.count[PA2REF(p)] = 1;
    kfree(p);
  }
}

// Drop one reference to the page at pa; free it when none is left.
void
kfree(void *pa)
{
  struct run *r;

  if(((uint64)pa % PGSIZE) != 0 || (char*)pa < end || (uint64)pa >= PHYSTOP)
    panic("kfree");

  acquire(&pageref.lock);
  if(pageref.count[PA2REF(pa)] < 1)
    panic("kfree: no reference");
  int left = --pageref.count[PA2REF(pa)];
  release(&pageref.lock);
  if(left > 0)
    return;

  // Fill with junk to catch dangling refs.
  memset(pa, 1, PGSIZE);

  r = (struct run*)pa;

  acquire(&kmem.lock);
  r->next = kmem.freelist;
  kmem.freelist = r;
  release(&kmem.lock);
}

// Allocate one 4096-byte page, with one reference.
// Returns 0 if the memory cannot be allocated.
void *
kalloc(void)
{
  struct run *r;

  acquire(&kmem.lock);
  r = kmem.freelist;
  if(r)
    kmem.freelist = r->next;
  release(&kmem.lock);

  if(r){
    memset((char*)r, 5, PGSIZE); // fill with junk
    pageref.count[PA2REF(r)] = 1;
  }
  return (void*)r;
}

void
krefinc(void *pa)
{
  acquire(&pageref.lock);
  pageref.count[PA2REF(pa)]++;
  release(&pageref.lock);
}

int
krefcount(void *pa)
{
  return pageref.count[PA2REF(pa)];
}
