# kernel/vm.c: uvmcopy() marks every page copy-on-write, text too, so the
# fault handler later makes a read-only text page writable.
/^uvmcopy(/,/^}/{
  /^    if(flags & PTE_W)$/d
}
