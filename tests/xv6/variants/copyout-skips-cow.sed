# kernel/vm.c: copyout() writes through the PTE's physical address without
# taking the COW fault, into a frame other processes still share.
/^copyout(/,/^}/{
  s/^    if((\*pte & PTE_W) == 0){$/    if(0){/
}
