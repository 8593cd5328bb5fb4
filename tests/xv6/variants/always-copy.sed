# kernel/vm.c: cowfault() copies even for the sole owner. The lab allows it
# (reuse is an optimization): cowcheck xv6 passes it, and check with the
# reuse rule required reports REUSE.
/^cowfault(/,/^}/{
  s/^  if(krefcount((void\*)pa) == 1){$/  if(0){/
}
