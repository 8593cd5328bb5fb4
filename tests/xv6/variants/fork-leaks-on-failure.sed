# kernel/vm.c: uvmcopy() takes the page's reference before mappages(), and
# its error path does not give it back when fork fails half way.
/^uvmcopy(/,/^}/{
  /^    krefinc((void\*)pa);$/d
  s/^    if(mappages(new, i, PGSIZE, pa, flags) != 0)$/    krefinc((void*)pa);\n&/
}
