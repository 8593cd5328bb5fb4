// ABI version 2 through the worker: a version-1 table still loads and works
// unchanged, every new op, status, fault and snapshot field of a version-2
// plug-in makes the round trip, and an op a plug-in has no entry point for
// is refused with a message naming the entry point.
#include <cstddef>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "checker/random_engine.h"
#include "cowcheck/cow_abi.h"
#include "impl/plugin/plugin_impl.h"

namespace cow::plugin {
namespace {

std::string variant(const std::string& name) {
  return std::string(TEST_PLUGIN_DIR) + "/" + name + ".so";
}

PluginImplementation load(const std::string& path, const Config& config = {.frames = 16}) {
  return PluginImplementation(path, config, {}, WORKER);
}

// The version-1 table, exactly as the version-1 header declared it.
struct V1Table {
  uint32_t abi_version, struct_size;
  const char* name;
  void *create, *destroy, *fork, *write, *read, *exit, *pte, *frame, *free_frames;
};

TEST(PluginAbi, Version2OnlyAppendsToTheVersion1Table) {
  EXPECT_EQ(COW_PLUGIN_V1_SIZE, sizeof(V1Table));
  EXPECT_EQ(offsetof(cow_plugin, free_frames), offsetof(V1Table, free_frames));
  EXPECT_EQ(offsetof(cow_plugin, create), offsetof(V1Table, create));
  EXPECT_EQ(offsetof(cow_config, words), 12u);  // the version-1 config is a prefix
  EXPECT_EQ(offsetof(cow_pte, frame), 12u);     // and so is the version-1 PTE
  EXPECT_EQ(static_cast<int>(COW_UNSUPPORTED), 6);
  EXPECT_EQ(static_cast<int>(COW_FAULT_REUSE), 2);
}

TEST(PluginAbi, AVersion1PluginStillWorksAndIsCompletedAsVersion1) {
  PluginImplementation p = load(variant("variant_v1"));
  EXPECT_EQ(p.abi_version(), 1u);
  EXPECT_EQ(p.supported_ops(), kCoreOps);
  EXPECT_EQ(p.supported_map_kinds(), MapSet{0});
  EXPECT_EQ(p.apply(Op::fork(1)), Outcome::forked(2));
  EXPECT_EQ(p.apply(Op::write(2, 0, 7)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(p.apply(Op::read(2, 0)), Outcome::read(7));
  EXPECT_EQ(p.apply(Op::read(1, 0)), Outcome::read(0));
  std::optional<Snapshot> snap = p.snapshot();
  ASSERT_TRUE(snap) << "a version-1 white-box plug-in stays white-box";
  ASSERT_EQ(snap->procs.size(), 2u);
  EXPECT_EQ(snap->procs[1], (ProcView{2, 2, false}));
  for (const PteView& pte : snap->ptes) {
    EXPECT_EQ(pte.kind, MapKind::PrivateAnon);
    EXPECT_EQ(pte.exclusive, pte.writable) << pte.pid << " " << pte.vpn;
    EXPECT_EQ(pte.slot, kNoSlot);
  }
  EXPECT_TRUE(snap->slots.empty());
  EXPECT_TRUE(snap->pins.empty());
  // What it lacks is refused without reaching it, naming the entry point.
  try {
    p.apply(Op::mmap(1, 0, 1, MapKind::PrivateAnon));
    ADD_FAILURE() << "mmap reached a version-1 plug-in";
  } catch (const UnsupportedOp& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("ABI version 1"), std::string::npos) << what;
    EXPECT_NE(what.find("has no mmap entry point"), std::string::npos) << what;
    EXPECT_NE(what.find("'mmap 1 0 1 private-anon'"), std::string::npos) << what;
  }
  EXPECT_EQ(p.apply(Op::read(2, 0)), Outcome::read(7)) << "a refused op changes nothing";
}

TEST(PluginAbi, AVersion2PluginDeclaresEveryOpAndKind) {
  PluginImplementation p = load(EXAMPLE_PLUGIN);
  EXPECT_EQ(p.abi_version(), 2u);
  EXPECT_EQ(p.supported_ops(), kAllOps & ~kTaskOps);  // the ABI has no entry for them
  EXPECT_EQ(p.supported_map_kinds(), kAllMaps);
  std::vector<Op> all;
  for (OpKind kind : kAllOpKinds)
    if (op_info(kind).wire != 0) all.push_back(Op{kind, 1});
  EXPECT_EQ(p.missing_for(std::span<const Op>(all)), "");
  std::string why = p.missing_for(std::vector<Op>{Op::thread(1)});
  EXPECT_NE(why.find("cannot run thread ops: the plug-in ABI has no entry point for them"),
            std::string::npos)
      << why;
}

TEST(PluginAbi, NewOpsRoundTrip) {
  PluginImplementation p = load(EXAMPLE_PLUGIN);  // 4 pages, 16 frames, policy exclusive
  EXPECT_EQ(p.apply(Op::fork(1)), Outcome::forked(2));
  EXPECT_EQ(p.apply(Op::munmap(1, 3, 1)), Outcome::ok());
  EXPECT_EQ(p.apply(Op::read(1, 3)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(p.apply(Op::mmap(1, 3, 1, MapKind::PrivateAnon)), Outcome::ok());
  EXPECT_EQ(p.apply(Op::read(1, 3)), Outcome::read(0)) << "untouched: zeros, no fault";
  EXPECT_EQ(p.apply(Op::write(1, 3, 4)), Outcome::wrote(Fault::ZeroFill));
  EXPECT_EQ(p.apply(Op::mmap(1, 0, 5, MapKind::Text)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(p.apply(Op::mmap(1, 2, 1, MapKind::Text)), Outcome::ok());
  EXPECT_EQ(p.apply(Op::read(1, 2, 1)), Outcome::read(file_word(2, 1), Fault::PageIn));
  EXPECT_EQ(p.apply(Op::write(1, 2, 1)), Outcome::error(Status::ProtFault));
  // copyout takes the COW path: pid 2 keeps its zero.
  EXPECT_EQ(p.apply(Op::copyout(1, 0, 9)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(p.apply(Op::read(2, 0)), Outcome::read(0));
  // A read-only pin of a shared page unshares it first (policy exclusive).
  EXPECT_EQ(p.apply(Op::pin_page(2, 1)), Outcome::pinned(1, Fault::CowCopy));
  EXPECT_EQ(p.apply(Op::swapout(2, 1)), Outcome::error(Status::Busy));
  EXPECT_EQ(p.apply(Op::write(2, 1, 6)), Outcome::wrote(Fault::None));
  EXPECT_EQ(p.apply(Op::unpin(1)), Outcome::read(6));
  EXPECT_EQ(p.apply(Op::unpin(1)), Outcome::error(Status::NoSuchPin));
  // Swap: both sharers of a page name one slot, and come back together.
  EXPECT_EQ(p.apply(Op::swapout(2, 0)), Outcome::ok());
  std::optional<Snapshot> snap = p.snapshot();
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->slots.size(), 1u);
  EXPECT_EQ(snap->slots[0].refcount, 1u);
  const PteView* swapped = snap->find_pte(2, 0);
  ASSERT_TRUE(swapped);
  EXPECT_FALSE(swapped->present);
  EXPECT_EQ(swapped->slot, snap->slots[0].slot);
  EXPECT_EQ(p.apply(Op::read(2, 0)), Outcome::read(0, Fault::SwapIn));
  // vfork suspends the parent until the child execs.
  EXPECT_EQ(p.apply(Op::vfork(1)), Outcome::forked(3));
  EXPECT_EQ(p.apply(Op::write(1, 0, 1)), Outcome::error(Status::Suspended));
  snap = p.snapshot();
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->procs.size(), 3u);
  EXPECT_EQ(snap->procs[0], (ProcView{1, 1, true}));
  EXPECT_EQ(snap->procs[2], (ProcView{3, 1, false}));
  EXPECT_EQ(snap->find_pte(3, 0), nullptr) << "a vfork child has no page table of its own";
  EXPECT_EQ(p.apply(Op::read(3, 0)), Outcome::read(9)) << "it runs in its parent's space";
  EXPECT_EQ(p.apply(Op::exec(3)), Outcome::ok());
  EXPECT_EQ(p.apply(Op::read(1, 0)), Outcome::read(9));
  EXPECT_EQ(p.apply(Op::write(3, 0, 2)), Outcome::wrote(Fault::ZeroFill));
  // Shared anonymous memory: one object seen by parent and child.
  EXPECT_EQ(p.apply(Op::mmap(1, 1, 1, MapKind::SharedAnon)), Outcome::ok());
  EXPECT_EQ(p.apply(Op::write(1, 1, 5)), Outcome::wrote(Fault::PageIn));
  EXPECT_EQ(p.apply(Op::fork(1)), Outcome::forked(4));
  EXPECT_EQ(p.apply(Op::write(4, 1, 8)), Outcome::wrote(Fault::None));
  EXPECT_EQ(p.apply(Op::read(1, 1)), Outcome::read(8));
  snap = p.snapshot();
  ASSERT_TRUE(snap);
  const PteView* shared = snap->find_pte(1, 1);
  ASSERT_TRUE(shared && shared->present);
  EXPECT_EQ(shared->kind, MapKind::SharedAnon);
  const FrameView* cache = snap->find_frame(shared->frame);
  ASSERT_TRUE(cache);
  EXPECT_TRUE(cache->cache);
  EXPECT_EQ(cache->refcount, 2u);
  const PteView* own = snap->find_pte(3, 0);
  ASSERT_TRUE(own && own->present);
  EXPECT_TRUE(own->exclusive && own->writable && !own->cow);
  EXPECT_FALSE(snap->find_frame(own->frame)->cache);
}

TEST(PluginAbi, TheOomKillerEndsTheFaultingProcess) {
  Config config;
  config.frames = 4;
  config.oom = OomPolicy::Kill;
  PluginImplementation p = load(EXAMPLE_PLUGIN, config);
  EXPECT_EQ(p.apply(Op::fork(1)), Outcome::forked(2));
  EXPECT_EQ(p.apply(Op::write(1, 0, 1)), Outcome::error(Status::Killed));
  EXPECT_EQ(p.apply(Op::read(1, 0)), Outcome::error(Status::NoSuchProcess));
  std::optional<Snapshot> snap = p.snapshot();
  ASSERT_TRUE(snap);
  ASSERT_EQ(snap->procs.size(), 1u);
  EXPECT_EQ(snap->procs[0].pid, 2u);
  for (const FrameView& f : snap->frames) EXPECT_EQ(f.refcount, 1u);
  EXPECT_EQ(p.apply(Op::write(2, 0, 1)), Outcome::wrote(Fault::CowReuse));
}

TEST(PluginAbi, TheConfigurationsPolicyReachesThePlugin) {
  // Under pagecount fork shares the pinned page, and once the child is gone
  // its refcount is still 2 (the pin), so its owner's write copies it away
  // from the pin (Linux 5.9); under exclusive fork gave the child its own
  // copy at once, and the owner's page never stopped being writable.
  for (auto [policy, fault] : {std::pair{ReusePolicy::PageCount, Fault::CowCopy},
                               std::pair{ReusePolicy::Exclusive, Fault::None}}) {
    Config config;
    config.policy = policy;
    PluginImplementation p = load(EXAMPLE_PLUGIN, config);
    EXPECT_EQ(p.apply(Op::pin_page(1, 0)), Outcome::pinned(1));
    EXPECT_EQ(p.apply(Op::fork(1)), Outcome::forked(2));
    EXPECT_EQ(p.apply(Op::exit(2)), Outcome::ok());
    EXPECT_EQ(p.apply(Op::write(1, 0, 3)), Outcome::wrote(fault)) << policy_name(policy);
  }
}

TEST(PluginAbi, AMissingEntryPointIsNamed) {
  PluginImplementation p = load(variant("variant_no_mmap"));
  EXPECT_FALSE(p.supports(OpKind::Mmap));
  EXPECT_FALSE(p.supports(OpKind::Munmap));
  EXPECT_TRUE(p.supports(OpKind::Pin));
  EXPECT_EQ(p.supported_ops(),
            kAllOps & ~kTaskOps & ~op_mask(OpKind::Mmap) & ~op_mask(OpKind::Munmap));
  std::vector<Op> ops = {Op::fork(1), Op::munmap(1, 0, 1), Op::mmap(1, 0, 1, MapKind::Text),
                         Op::munmap(2, 1, 1)};
  std::string why = p.missing_for(std::span<const Op>(ops));
  EXPECT_NE(why.find("has no mmap entry point, needed by 'mmap 1 0 1 text'"), std::string::npos)
      << why;
  EXPECT_NE(why.find("has no munmap entry point, needed by 'munmap 1 0 1'"), std::string::npos)
      << why;
  OpKind kinds[] = {OpKind::Fork, OpKind::Munmap};
  EXPECT_NE(p.missing_for(std::span<const OpKind>(kinds)).find("munmap entry point"),
            std::string::npos);
  EXPECT_THROW(p.apply(Op::munmap(1, 0, 1)), UnsupportedOp);
  EXPECT_EQ(p.apply(Op::read(1, 0)), Outcome::read(0)) << "the worker is still there";
}

// The ABI promises that kinds outside map_kinds are left out of generated
// runs: a campaign over every op kind maps only what the plug-in maps, and
// runs its mmaps rather than stopping at the first kind it lacks.
TEST(PluginAbi, GeneratedRunsMapOnlyTheKindsAPluginMaps) {
  Config config{.frames = 16};
  ImplFactory make = [&] {
    return std::make_unique<PluginImplementation>(variant("variant_anon_only"), config,
                                                  WorkerLimits{}, WORKER);
  };
  CheckOptions options;
  options.config = config;
  options.runs = 300;
  options.ops = kAllOps;
  CheckResult r = check_random(make, options);
  EXPECT_EQ(r.error, "");
  EXPECT_FALSE(r.finding) << (r.finding ? r.finding->violation.detail : "");
  EXPECT_EQ(r.runs, 300);
}

TEST(PluginAbi, AMappingKindOutsideMapKindsIsNamed) {
  PluginImplementation p = load(variant("variant_anon_only"));
  EXPECT_TRUE(p.supports(OpKind::Mmap));
  EXPECT_EQ(p.supported_map_kinds(), map_bit(MapKind::PrivateAnon));
  EXPECT_EQ(p.apply(Op::mmap(1, 0, 1, MapKind::PrivateAnon)), Outcome::ok());
  try {
    p.apply(Op::mmap(1, 0, 1, MapKind::SharedFile));
    ADD_FAILURE() << "a shared-file mmap reached the plug-in";
  } catch (const UnsupportedOp& e) {
    EXPECT_NE(std::string(e.what()).find("does not take shared-file"), std::string::npos)
        << e.what();
  }
}

TEST(PluginAbi, AWhiteBoxPluginThatHidesItsPinsIsRefused) {
  try {
    load(variant("variant_pin_no_view"));
    ADD_FAILURE() << "loaded";
  } catch (const PluginLoadError& e) {
    EXPECT_NE(std::string(e.what()).find("provides pin but not pin_view"), std::string::npos)
        << e.what();
  }
}

TEST(PluginAbi, AnUndefinedStatusFromANewOpIsAnError) {
  PluginImplementation p = load(variant("variant_bad_status"));
  EXPECT_EQ(p.apply(Op::pin_page(1, 0)), Outcome::pinned(1));
  try {
    p.apply(Op::unpin(1));
    ADD_FAILURE() << "accepted";
  } catch (const UnsupportedOp&) {
    ADD_FAILURE() << "an undefined status is a bug, not a missing entry point";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("status 77"), std::string::npos) << e.what();
  }
}

// The oracle used this answer unchecked and crashed in spec/check_iso.cpp.
TEST(PluginAbi, ASpaceThatDoesNotExistIsACrashNamingProc) {
  PluginImplementation p = load(variant("variant_bad_space"));
  p.apply(Op::munmap(1, 0, 1));
  try {
    // The view after the fork comes with its answer.
    p.apply(Op::fork(1));
    p.snapshot();
    ADD_FAILURE() << "accepted pid 2 in space 99";
  } catch (const ImplementationStopped& e) {
    EXPECT_EQ(e.kind(), ImplementationStopped::Kind::Crash);
    EXPECT_NE(std::string(e.what()).find("proc(pid 2) returned space 99"), std::string::npos)
        << e.what();
  }
}

// 1 ms of CPU per pte(): far more than the op timeout in all, but every
// call that returns is progress, so the white-box view is no HANG.
TEST(PluginAbi, ASlowWhiteBoxViewIsNotAHang) {
  Config config;
  config.pages = 64;
  config.frames = 64;
  WorkerLimits limits;
  limits.op_timeout = std::chrono::milliseconds(20);
  PluginImplementation p(variant("variant_slow_pte"), config, limits, WORKER);
  EXPECT_EQ(p.apply(Op::fork(1)).status, Status::Ok);
  std::optional<Snapshot> snap = p.snapshot();  // 2 processes x 64 pages: 128 ms of CPU
  ASSERT_TRUE(snap);
  EXPECT_EQ(snap->ptes.size(), 128u);
}

}  // namespace
}  // namespace cow::plugin
