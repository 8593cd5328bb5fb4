// The example plug-in (examples/c-plugin), loaded into this process and
// driven through the C ABI by hand, scenario by scenario, with its page
// tables and frames checked after each. The zoo's mutants are this plug-in
// with one bug each, so it must be right. Only the correct plug-in is loaded
// here: a mutant may crash, hang or exit, and runs only in cowcheck-worker.
#include <dlfcn.h>

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cowcheck/cow_abi.h"

namespace {

const cow_plugin& example() {
  static const cow_plugin* plugin = [] {
    // Never closed: the table and its functions live as long as the test.
    void* library = dlopen(COW_EXAMPLE_PLUGIN, RTLD_NOW | RTLD_LOCAL);
    if (!library) throw std::runtime_error(dlerror());
    auto entry = reinterpret_cast<cow_plugin_entry_fn>(dlsym(library, COW_PLUGIN_ENTRY));
    if (!entry) throw std::runtime_error(COW_EXAMPLE_PLUGIN " does not export " COW_PLUGIN_ENTRY);
    return entry();
  }();
  return *plugin;
}

// pages, frames, procs, words, policy, oom
constexpr cow_config kDefault = {4, 16, 8, 2, COW_REUSE_MAPCOUNT, COW_OOM_ERROR};

// The default machine with another size.
constexpr cow_config sized(std::uint32_t pages, std::uint32_t frames, std::uint32_t procs,
                           std::uint32_t words) {
  return {pages, frames, procs, words, kDefault.policy, kDefault.oom};
}

// One machine, and the pids the test believes live (for the checks).
class Machine {
 public:
  explicit Machine(cow_config config = kDefault)
      : p_(example()), config_(config), in_(p_.create(&config)) {
    if (!in_) throw std::runtime_error("create() refused a valid machine");
  }
  ~Machine() { p_.destroy(in_); }
  Machine(const Machine&) = delete;
  Machine& operator=(const Machine&) = delete;

  cow_status fork(uint32_t pid, uint32_t* child) {
    cow_status s = p_.fork(in_, pid, child);
    if (s == COW_OK) live_.insert(*child);
    return s;
  }
  uint32_t fork(uint32_t pid) {
    uint32_t child = 0;
    EXPECT_EQ(fork(pid, &child), COW_OK) << "fork " << pid;
    return child;
  }
  cow_status write(uint32_t pid, uint32_t vpn, uint32_t value, uint32_t word, cow_fault* fault) {
    return p_.write(in_, pid, vpn, word, value, fault);
  }
  cow_fault write(uint32_t pid, uint32_t vpn, uint32_t value, uint32_t word = 0) {
    cow_fault fault = COW_FAULT_NONE;
    EXPECT_EQ(write(pid, vpn, value, word, &fault), COW_OK) << "write " << pid << " " << vpn;
    return fault;
  }
  uint32_t read(uint32_t pid, uint32_t vpn, uint32_t word = 0) {
    uint32_t value = 0;
    EXPECT_EQ(p_.read(in_, pid, vpn, word, &value), COW_OK) << "read " << pid << " " << vpn;
    return value;
  }
  cow_status exit(uint32_t pid) {
    cow_status s = p_.exit(in_, pid);
    if (s == COW_OK) live_.erase(pid);
    return s;
  }
  cow_pte pte(uint32_t pid, uint32_t vpn) {
    cow_pte out{};
    EXPECT_EQ(p_.pte(in_, pid, vpn, &out), COW_OK) << "pte " << pid << " " << vpn;
    return out;
  }
  uint32_t refcount(uint32_t frame) {
    uint32_t refs = 0, contents[4] = {};
    EXPECT_EQ(p_.frame(in_, frame, &refs, contents), COW_OK) << "frame " << frame;
    return refs;
  }
  uint32_t free_frames() { return p_.free_frames(in_); }
  const cow_plugin& plugin() { return p_; }
  cow_instance* instance() { return in_; }

  // WP and RC over the whole machine: every refcount is the number of PTEs
  // of live processes that map the frame, the free list is exactly the
  // frames nobody maps, and a frame mapped twice is read-only and cow in
  // every PTE while a writable PTE is its frame's only reference.
  void expect_consistent() {
    std::map<uint32_t, uint32_t> maps;
    for (uint32_t pid : live_)
      for (uint32_t vpn = 0; vpn < config_.pages; ++vpn) {
        cow_pte e = pte(pid, vpn);
        EXPECT_TRUE(e.present) << "pid " << pid << " vpn " << vpn;
        ++maps[e.frame];
      }
    uint32_t unused = 0;
    for (uint32_t f = 0; f < config_.frames; ++f) {
      EXPECT_EQ(refcount(f), maps.count(f) ? maps[f] : 0) << "frame " << f;
      unused += maps.count(f) ? 0 : 1;
    }
    EXPECT_EQ(free_frames(), unused);
    for (uint32_t pid : live_)
      for (uint32_t vpn = 0; vpn < config_.pages; ++vpn) {
        cow_pte e = pte(pid, vpn);
        if (e.writable) {
          EXPECT_EQ(maps[e.frame], 1u) << "pid " << pid << " vpn " << vpn;
        }
        if (maps[e.frame] > 1) {
          EXPECT_TRUE(!e.writable && e.cow) << "pid " << pid << " vpn " << vpn;
        }
      }
  }

 private:
  const cow_plugin& p_;
  cow_config config_;
  cow_instance* in_;
  std::set<uint32_t> live_ = {1};
};

TEST(ExamplePlugin, ExportsAVersion1TableWithEveryEntryPoint) {
  const cow_plugin& p = example();
  EXPECT_EQ(p.abi_version, COW_ABI_VERSION);
  EXPECT_EQ(p.struct_size, sizeof(cow_plugin));
  EXPECT_STREQ(p.name, "cow-example");
  EXPECT_TRUE(p.create && p.destroy && p.fork && p.write && p.read && p.exit);
  EXPECT_TRUE(p.pte && p.frame && p.free_frames) << "the example is white-box";
}

TEST(ExamplePlugin, CreateRefusesAMachineItCannotBuild) {
  const cow_plugin& p = example();
  for (cow_config bad :
       {sized(0, 16, 8, 2), sized(4, 3, 8, 2), sized(4, 16, 0, 2), sized(4, 16, 8, 0)}) {
    cow_instance* in = p.create(&bad);
    EXPECT_EQ(in, nullptr) << bad.pages << " " << bad.frames << " " << bad.procs << " "
                           << bad.words;
    if (in) p.destroy(in);
  }
}

TEST(ExamplePlugin, Process1StartsWithEachPageInItsOwnZeroedWritableFrame) {
  Machine m;
  std::set<uint32_t> frames;
  for (uint32_t vpn = 0; vpn < 4; ++vpn) {
    cow_pte e = m.pte(1, vpn);
    EXPECT_TRUE(e.present && e.writable && !e.cow);
    EXPECT_EQ(m.refcount(e.frame), 1u);
    frames.insert(e.frame);
    EXPECT_EQ(m.read(1, vpn, 0), 0u);
    EXPECT_EQ(m.read(1, vpn, 1), 0u);
  }
  EXPECT_EQ(frames.size(), 4u);
  EXPECT_EQ(m.free_frames(), 12u);
  m.expect_consistent();
}

TEST(ExamplePlugin, ForkSharesEveryFrameAndWriteProtectsBothSides) {
  Machine m;
  EXPECT_EQ(m.fork(1), 2u);
  for (uint32_t vpn = 0; vpn < 4; ++vpn) {
    cow_pte parent = m.pte(1, vpn), child = m.pte(2, vpn);
    EXPECT_EQ(parent.frame, child.frame);
    EXPECT_TRUE(!parent.writable && parent.cow && !child.writable && child.cow);
    EXPECT_EQ(m.refcount(parent.frame), 2u);
  }
  EXPECT_EQ(m.free_frames(), 12u) << "fork allocates no frame";
  m.expect_consistent();
}

TEST(ExamplePlugin, AWriteToASharedPageCopiesTheWholePageToOneNewFrame) {
  Machine m;
  m.write(1, 0, 5, 1);  // word 1, before the fork: the copy must carry it
  m.fork(1);
  uint32_t shared = m.pte(1, 0).frame;
  EXPECT_EQ(m.write(1, 0, 7), COW_FAULT_COPY);
  cow_pte after = m.pte(1, 0);
  EXPECT_NE(after.frame, shared);
  EXPECT_TRUE(after.writable && !after.cow);
  EXPECT_EQ(m.refcount(shared), 1u) << "the writer dropped its reference";
  EXPECT_EQ(m.free_frames(), 11u);
  EXPECT_EQ(m.read(1, 0, 0), 7u);
  EXPECT_EQ(m.read(1, 0, 1), 5u);
  EXPECT_EQ(m.read(2, 0, 0), 0u) << "the child never sees its parent's later write";
  EXPECT_EQ(m.read(2, 0, 1), 5u);
  EXPECT_EQ(m.write(1, 0, 8), COW_FAULT_NONE) << "now writable: no fault";
  m.expect_consistent();
}

TEST(ExamplePlugin, TheLastOwnerOfASharedFrameReusesIt) {
  Machine m;
  m.fork(1);
  EXPECT_EQ(m.write(2, 0, 3), COW_FAULT_COPY);
  uint32_t frame = m.pte(1, 0).frame;
  EXPECT_EQ(m.write(1, 0, 4), COW_FAULT_REUSE);
  EXPECT_EQ(m.pte(1, 0).frame, frame);
  EXPECT_TRUE(m.pte(1, 0).writable && !m.pte(1, 0).cow);
  EXPECT_EQ(m.free_frames(), 11u) << "reuse takes no frame";
  EXPECT_EQ(m.read(1, 0), 4u);
  EXPECT_EQ(m.read(2, 0), 3u);
  m.expect_consistent();
}

TEST(ExamplePlugin, AChildReusesItsFramesOnceItsParentHasExited) {
  Machine m;
  m.fork(1);
  m.write(1, 2, 9);  // the parent copies page 2 before it goes
  EXPECT_EQ(m.exit(1), COW_OK);
  m.expect_consistent();
  EXPECT_EQ(m.write(2, 0, 6), COW_FAULT_REUSE);
  EXPECT_EQ(m.read(2, 2), 0u);
  EXPECT_EQ(m.free_frames(), 12u);
  m.expect_consistent();
}

TEST(ExamplePlugin, ForkChainsShareAFrameManyWaysAndCopyOneAtATime) {
  Machine m;
  uint32_t pid = 1;
  for (int i = 0; i < 4; ++i) pid = m.fork(pid);  // 1 -> 2 -> 3 -> 4 -> 5
  EXPECT_EQ(pid, 5u);
  EXPECT_EQ(m.refcount(m.pte(1, 0).frame), 5u);
  for (uint32_t p = 1; p <= 4; ++p) {
    EXPECT_EQ(m.write(p, 0, p), COW_FAULT_COPY) << p;
    m.expect_consistent();
  }
  EXPECT_EQ(m.write(5, 0, 5), COW_FAULT_REUSE);
  for (uint32_t p = 1; p <= 5; ++p) EXPECT_EQ(m.read(p, 0), p);
  m.expect_consistent();
}

TEST(ExamplePlugin, OutOfMemoryChangesNothing) {
  Machine m(sized(2, 3, 8, 2));  // one spare frame
  m.fork(1);
  EXPECT_EQ(m.write(1, 0, 1), COW_FAULT_COPY);
  EXPECT_EQ(m.free_frames(), 0u);
  cow_pte before = m.pte(1, 1);
  cow_fault fault = COW_FAULT_COPY;
  EXPECT_EQ(m.write(1, 1, 2, 0, &fault), COW_OUT_OF_MEMORY);
  EXPECT_EQ(fault, COW_FAULT_NONE);
  cow_pte after = m.pte(1, 1);
  EXPECT_TRUE(after.frame == before.frame && !after.writable && after.cow);
  EXPECT_EQ(m.refcount(before.frame), 2u);
  EXPECT_EQ(m.read(1, 1), 0u);
  m.expect_consistent();
  // The other side's exit makes pid 1 the frame's only owner: reuse needs no frame.
  EXPECT_EQ(m.exit(2), COW_OK);
  EXPECT_EQ(m.write(1, 1, 2), COW_FAULT_REUSE);
  m.expect_consistent();
}

TEST(ExamplePlugin, ForkAtTheProcessLimitFailsAndUsesNoPid) {
  Machine m(sized(4, 16, 2, 2));
  EXPECT_EQ(m.fork(1), 2u);
  uint32_t child = 0;
  EXPECT_EQ(m.fork(1, &child), COW_PROC_LIMIT);
  EXPECT_EQ(m.free_frames(), 12u);
  m.expect_consistent();
  EXPECT_EQ(m.exit(2), COW_OK);
  EXPECT_EQ(m.fork(1), 3u) << "pids are never reused, and the failed fork took none";
}

TEST(ExamplePlugin, StatusesNameThePidFirstThenTheAddress) {
  Machine m;
  const cow_plugin& p = m.plugin();
  cow_instance* in = m.instance();
  uint32_t out = 0, contents[4] = {};
  cow_fault fault = COW_FAULT_NONE;
  cow_pte e{};
  EXPECT_EQ(p.fork(in, 2, &out), COW_NO_SUCH_PROCESS);
  EXPECT_EQ(p.write(in, 2, 9, 9, 1, &fault), COW_NO_SUCH_PROCESS);
  EXPECT_EQ(p.read(in, 0, 0, 0, &out), COW_NO_SUCH_PROCESS);
  EXPECT_EQ(p.exit(in, 7), COW_NO_SUCH_PROCESS);
  EXPECT_EQ(p.pte(in, 2, 0, &e), COW_NO_SUCH_PROCESS);
  EXPECT_EQ(p.write(in, 1, 4, 0, 1, &fault), COW_BAD_ADDRESS);
  EXPECT_EQ(p.write(in, 1, 0, 2, 1, &fault), COW_BAD_ADDRESS);
  EXPECT_EQ(p.read(in, 1, 4, 0, &out), COW_BAD_ADDRESS);
  EXPECT_EQ(p.read(in, 1, 0, 2, &out), COW_BAD_ADDRESS);
  EXPECT_EQ(p.pte(in, 1, 4, &e), COW_BAD_ADDRESS);
  EXPECT_EQ(p.frame(in, 16, &out, contents), COW_BAD_ADDRESS);
  EXPECT_EQ(m.exit(1), COW_OK);
  EXPECT_EQ(p.fork(in, 1, &out), COW_NO_SUCH_PROCESS) << "an exited pid is dead";
}

TEST(ExamplePlugin, WhenEveryProcessHasExitedEveryFrameIsFree) {
  Machine m;
  uint32_t a = m.fork(1), b = m.fork(a);
  m.write(1, 0, 1);
  m.write(b, 1, 2);
  m.write(a, 3, 3, 1);
  for (uint32_t pid : {a, 1u, b}) {
    EXPECT_EQ(m.exit(pid), COW_OK);
    m.expect_consistent();
  }
  EXPECT_EQ(m.free_frames(), 16u);
  for (uint32_t f = 0; f < 16; ++f) EXPECT_EQ(m.refcount(f), 0u);
}

}  // namespace
