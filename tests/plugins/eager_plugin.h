/* A black-box plug-in that is correct as far as its answers go (fork copies
 * eagerly, as the semantics does), for the test plug-ins that misbehave
 * (tests/plugins/hostile_plugin.c, tests/impl/plugin/misbehaving_plugin.c):
 * so that the only finding is the misbehaviour. Such a plug-in links
 * eager_plugin.c, defines the three hooks, and returns eager_plugin() from
 * its cow_plugin_entry. */
#ifndef COWCHECK_TESTS_EAGER_PLUGIN_H
#define COWCHECK_TESTS_EAGER_PLUGIN_H

#include "cowcheck/cow_abi.h"

/* At the start of every op's entry point (fork, write, read, exit). */
void eager_on_call(void);
/* Before create builds the machine; 0 makes create return NULL. */
int eager_on_create(void);
/* In fork, once the pid and the process limit are checked: COW_OK lets the
 * fork go on, any other value is what fork returns. */
cow_status eager_on_fork(void);

/* The plug-in's table: fork, write, read and exit, nothing else. */
const struct cow_plugin *eager_plugin(uint32_t abi_version, const char *name);

#endif /* COWCHECK_TESTS_EAGER_PLUGIN_H */
