# kernel/kalloc.c: the refcount is kept in a byte, which wraps at 256 sharers.
s/^  int count\[(PHYSTOP - KERNBASE) \/ PGSIZE\];$/  uchar count[(PHYSTOP - KERNBASE) \/ PGSIZE];/
