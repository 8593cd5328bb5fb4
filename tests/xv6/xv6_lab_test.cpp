// cowcheck xv6 on what differs between labs and on what goes wrong around
// a campaign: flags, errors, replay, one worker serving many instances.
// The campaigns themselves are xv6_campaign_test.cpp.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <ostream>
#include <string>

#include <dlfcn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cowcheck/cow_abi.h"
#include "impl/xv6/xv6_impl.h"
#include "tests/support/cowcheck_runner.h"
#include "tests/xv6/xv6_lab_fixture.h"

namespace cow::test {
namespace {

namespace fs = std::filesystem;

TEST_F(Xv6Lab, ALabThatAlwaysCopiesPassesAndFailsOnlyWhenReuseIsRequired) {
  lab("always-copy");
  CommandResult r = xv6("xv6 lab --runs 1000 --sharers-runs 0");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  r = xv6("check --impl xv6:lab --runs 1000 --policy pagecount --oom kill --paging eager");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("VIOLATION of REUSE"), std::string::npos) << r.out;
}

TEST_F(Xv6Lab, TheFall2019LayoutIsReadAsItIs) {
  lab("fall-2019");
  CommandResult r = xv6("xv6 lab --runs 1000 --sharers-runs 0");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
}

TEST_F(Xv6Lab, AFindingReplaysFromItsFileWithPathsRelativeToIt) {
  lab("copyout-skips-cow");
  CommandResult r = xv6("xv6 lab --runs 500 --sharers-runs 0 --max-bugs 1 --out found");
  ASSERT_EQ(r.status, 1) << r.out << r.err;
  fs::path file;
  for (const auto& entry : fs::directory_iterator(dir_ / "found")) file = entry.path();
  std::string text = slurp(file);
  EXPECT_NE(text.find("impl xv6:../lab\n"), std::string::npos) << text;
  EXPECT_NE(text.find("paging=eager"), std::string::npos) << text;
  EXPECT_EQ(text.find(dir_.string()), std::string::npos) << text;
  r = xv6("replay " + file.string() + " --trust-file-impl");
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  // Not trusted, it names the lab it would build and replays on the model.
  r = xv6("replay " + file.string());
  EXPECT_NE(r.err.find("not loading " + (dir_ / "lab").string() + " named by the file"),
            std::string::npos)
      << r.err;
}

TEST_F(Xv6Lab, WhatItCannotFindIsAnErrorNamingTheFlag) {
  fs::path copy = lab();
  CommandResult r = xv6("xv6 nowhere");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("nowhere: no such folder"), std::string::npos) << r.err;

  // A COW bit with another name is not found, and --cow-bit names it.
  std::string rename = "sed -i 's/PTE_COW/PTE_SHARED/g' '" + copy.string() + "'/kernel/*.[ch]";
  ASSERT_EQ(std::system(rename.c_str()), 0);
  r = xv6("xv6 lab --runs 10");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--cow-bit"), std::string::npos) << r.err;
  r = xv6("xv6 lab --runs 300 --sharers-runs 0 --cow-bit PTE_SHARED");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("COW bit: (PTE_SHARED) (--cow-bit)"), std::string::npos) << r.out;

  // Without a refcount accessor the counts come from the page tables.
  std::string hide = "sed -i 's/krefcount/refs_of/g' '" + copy.string() + "'/kernel/*.[ch]";
  ASSERT_EQ(std::system(hide.c_str()), 0);
  r = xv6("xv6 lab --runs 300 --sharers-runs 0 --cow-bit 8");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("refcount: refs_of() (kernel/defs.h)"), std::string::npos) << r.out;
  r = xv6("xv6 lab --runs 300 --sharers-runs 0 --cow-bit 8 --refcount none");
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("from the page tables and the free list (--refcount none)"),
            std::string::npos)
      << r.out;
}

TEST_F(Xv6Lab, ACompilerErrorIsReportedWithTheCompilersWords) {
  fs::path copy = lab();
  write("lab/kernel/trap.c", slurp(copy / "kernel/trap.c") + "\nthis is not C;\n");
  CommandResult r = xv6("xv6 lab --runs 10");
  EXPECT_EQ(r.status, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("compiling kernel/trap.c for the host failed"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("this"), std::string::npos) << r.err;
}

// One worker may create, destroy and create again: the adapter puts the
// lab's globals (its free list, its refcounts) back as they were loaded.
// Run in a child, which maps the lab's physical memory at its addresses.
TEST_F(Xv6Lab, ASecondInstanceInOneProcessStartsFromABootedKernel) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "the lab's physical memory (0x80000000) and trampoline lie in ASan's shadow; "
                  "cowcheck itself runs the lab in its unsanitized worker";
#endif
  fs::path copy = lab();
  ::setenv("COWCHECK_CACHE_DIR", (dir_ / "cache").c_str(), 1);
  Config config;
  config.policy = ReusePolicy::PageCount;
  config.oom = OomPolicy::Kill;
  fs::path library = xv6::lab_library(copy.string(), config, {});
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    void* handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) ::_exit(10);
    auto entry = reinterpret_cast<const cow_plugin* (*)()>(::dlsym(handle, "cow_plugin_entry"));
    const cow_plugin* table = entry();
    cow_config c{config.pages, config.frames,       config.procs,
                 config.words, COW_REUSE_PAGECOUNT, COW_OOM_KILL};
    for (int round = 0; round < 3; ++round) {
      cow_instance* in = table->create(&c);
      if (!in) ::_exit(20 + round);
      if (table->free_frames(in) != c.frames - c.pages) ::_exit(30 + round);
      std::uint32_t kid = 0, value = 0;
      cow_fault fault;
      if (table->fork(in, 1, &kid) != COW_OK || kid != 2) ::_exit(40 + round);
      if (table->write(in, 2, 0, 0, 7, &fault) != COW_OK || fault != COW_FAULT_COPY)
        ::_exit(50 + round);
      if (table->read(in, 1, 0, 0, &value) != COW_OK || value != 0) ::_exit(60 + round);
      // A second instance while one is live is refused.
      if (table->create(&c) != nullptr) ::_exit(70 + round);
      table->destroy(in);
    }
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace cow::test
