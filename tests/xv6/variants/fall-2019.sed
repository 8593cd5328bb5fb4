# Not a bug: the same solution in the fall 2019 layout, where uvmunmap()
# takes a size in bytes and trap.c reads p->killed itself.
s/^uvmunmap(pagetable_t pagetable, uint64 va, uint64 npages, int do_free)$/uvmunmap(pagetable_t pagetable, uint64 va, uint64 size, int do_free)/
s/^  for(a = va; a < va + npages\*PGSIZE; a += PGSIZE){$/  for(a = va; a < va + size; a += PGSIZE){/
s/^    uvmunmap(pagetable, PGROUNDUP(newsz), npages, 1);$/    uvmunmap(pagetable, PGROUNDUP(newsz), npages * PGSIZE, 1);/
s/^    uvmunmap(pagetable, 0, PGROUNDUP(sz)\/PGSIZE, 1);$/    uvmunmap(pagetable, 0, PGROUNDUP(sz), 1);/
s/^  uvmunmap(new, 0, i \/ PGSIZE, 1);$/  uvmunmap(new, 0, i, 1);/
s/setkilled(p);/p->killed = 1;/
s/killed(p)/p->killed/
