# kernel/vm.c: cowfault() panics on a store to an address with no page,
# where it should let usertrap() kill the process.
/^cowfault(/,/^}/{
  /^  if(pte == 0 || (\*pte & PTE_V) == 0 || (\*pte & PTE_U) == 0)$/{
    n
    s/^    return -1;$/    panic("cowfault: no page");/
  }
}
