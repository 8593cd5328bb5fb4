// The fast implementation op by op, in both fork modes: the scenarios COW
// gets wrong, each checked against what the spec says a program sees.
#include "impl/fast/fast_cow.h"

#include <gtest/gtest.h>

namespace cow::fast {
namespace {

class FastCowTest : public ::testing::TestWithParam<ForkMode> {
 protected:
  // The tests count frames on a 16-frame machine (the default has 8).
  FastCow make(const Config& config = Config{.frames = 16}) {
    return FastCow(config, FastOptions{GetParam(), true, Mutation::None});
  }
};

Value read(FastCow& cow, Pid pid, Vpn vpn, std::uint32_t word = 0) {
  Outcome o = cow.apply(Op::read(pid, vpn, word));
  EXPECT_EQ(o.status, Status::Ok) << to_string(Op::read(pid, vpn, word));
  return o.value;
}

TEST_P(FastCowTest, TheFirstProcessMapsEveryPageInItsOwnZeroFrame) {
  Config config{4, 16, 8, 2};
  FastCow cow = make(config);
  Snapshot snap = *cow.snapshot();
  ASSERT_EQ(snap.ptes.size(), 4u);
  ASSERT_EQ(snap.frames.size(), 4u);
  for (Vpn vpn = 0; vpn < 4; ++vpn) {
    const PteView& pte = snap.ptes[vpn];
    EXPECT_EQ(pte.pid, kInitPid);
    EXPECT_TRUE(pte.present && pte.writable && !pte.cow);
    EXPECT_EQ(snap.refcount(pte.frame), 1u);
    EXPECT_EQ(snap.find_frame(pte.frame)->contents, PageData{});
    for (Vpn other = 0; other < vpn; ++other) EXPECT_NE(snap.ptes[other].frame, pte.frame);
  }
  EXPECT_EQ(snap.free_frames, 12u);
  EXPECT_EQ(snap.total_frames, 16u);
}

TEST_P(FastCowTest, PidsAndStatusCodes) {
  FastCow cow = make(Config{4, 16, 3, 2});
  EXPECT_EQ(cow.apply(Op::fork(1)), Outcome::forked(2));
  EXPECT_EQ(cow.apply(Op::fork(2)), Outcome::forked(3));
  EXPECT_EQ(cow.apply(Op::fork(1)), Outcome::error(Status::ProcLimit));
  EXPECT_EQ(cow.apply(Op::exit(3)), Outcome::ok());
  EXPECT_EQ(cow.apply(Op::fork(1)), Outcome::forked(4)) << "a refused fork used no pid";
  EXPECT_EQ(cow.apply(Op::read(3, 0)), Outcome::error(Status::NoSuchProcess));
  EXPECT_EQ(cow.apply(Op::fork(9)), Outcome::error(Status::NoSuchProcess));
  EXPECT_EQ(cow.apply(Op::write(1, 4, 1)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(cow.apply(Op::read(1, 0, 2)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(cow.apply(Op::write(1, 0, 1, 2)), Outcome::error(Status::BadAddress));
}

TEST_P(FastCowTest, ForkThenWriteBothSides) {
  FastCow cow = make();
  cow.apply(Op::write(1, 0, 5, 1));
  ASSERT_EQ(cow.apply(Op::fork(1)), Outcome::forked(2));
  EXPECT_EQ(cow.apply(Op::write(1, 0, 7)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(cow.apply(Op::write(2, 0, 8)), Outcome::wrote(Fault::CowReuse))
      << "the child is now the frame's only owner";
  EXPECT_EQ(cow.apply(Op::write(2, 0, 9)), Outcome::wrote(Fault::None));
  EXPECT_EQ(read(cow, 1, 0), 7u);
  EXPECT_EQ(read(cow, 2, 0), 9u);
  EXPECT_EQ(read(cow, 1, 0, 1), 5u) << "the copy carried the other words";
  EXPECT_EQ(read(cow, 2, 0, 1), 5u);
  EXPECT_EQ(read(cow, 2, 1), 0u);
}

TEST_P(FastCowTest, AChildNeverSeesItsParentsLaterWrite) {
  FastCow cow = make();
  cow.apply(Op::fork(1));
  cow.apply(Op::write(1, 2, 3));
  EXPECT_EQ(read(cow, 2, 2), 0u);
  EXPECT_EQ(read(cow, 1, 2), 3u);
}

TEST_P(FastCowTest, AChainOfForksKeepsEveryGenerationApart) {
  FastCow cow = make(Config{4, 64, 16, 2});
  Pid youngest = 1;
  for (Value gen = 1; gen <= 10; ++gen) {
    cow.apply(Op::write(youngest, 0, gen));
    Outcome o = cow.apply(Op::fork(youngest));
    ASSERT_EQ(o.status, Status::Ok);
    youngest = o.child;
  }
  for (Pid pid = 1; pid < youngest; ++pid) EXPECT_EQ(read(cow, pid, 0), pid) << "pid " << pid;
  EXPECT_EQ(read(cow, youngest, 0), 10u);
  Snapshot snap = *cow.snapshot();
  EXPECT_EQ(snap.refcount(snap.find_pte(1, 1)->frame), 11u) << "an unwritten page: all share it";
}

TEST_P(FastCowTest, ACopyWithNoFreeFrameIsOutOfMemoryAndChangesNothing) {
  FastCow cow = make(Config{2, 2, 4, 2});
  cow.apply(Op::fork(1));
  Snapshot before = *cow.snapshot();
  EXPECT_EQ(cow.apply(Op::write(2, 0, 1)), Outcome::error(Status::OutOfMemory));
  EXPECT_EQ(*cow.snapshot(), before);
  EXPECT_EQ(read(cow, 2, 0), 0u);
  cow.apply(Op::exit(1));
  EXPECT_EQ(cow.apply(Op::write(2, 0, 1)), Outcome::wrote(Fault::CowReuse))
      << "once the parent is gone no frame is needed";
}

TEST_P(FastCowTest, ExitReturnsEveryFrameAndTable) {
  FastCow cow = make();
  cow.apply(Op::fork(1));
  cow.apply(Op::fork(2));
  cow.apply(Op::write(3, 1, 1));
  cow.apply(Op::write(1, 2, 1));
  std::size_t one_process = 0;
  {
    FastCow fresh = make();
    one_process = fresh.page_table_bytes();
  }
  cow.apply(Op::exit(1));
  cow.apply(Op::exit(3));
  EXPECT_EQ(cow.free_frames(), 16u - 4u);
  EXPECT_EQ(cow.page_table_bytes(), one_process);
  cow.apply(Op::exit(2));
  EXPECT_EQ(cow.free_frames(), 16u);
  EXPECT_EQ(cow.page_table_bytes(), 0u);
  EXPECT_TRUE(cow.snapshot()->frames.empty());
}

TEST_P(FastCowTest, ACloneGoesItsOwnWay) {
  FastCow cow = make();
  cow.apply(Op::fork(1));
  std::unique_ptr<Implementation> copy = cow.clone();
  cow.apply(Op::write(1, 0, 4));
  EXPECT_EQ(copy->apply(Op::read(1, 0)), Outcome::read(0));
  EXPECT_EQ(copy->apply(Op::write(1, 0, 4)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(*copy->snapshot(), *cow.snapshot());
}

// ---- The ops of docs/mechanism.md beyond fork, write, read and exit. ----

Config with_policy(ReusePolicy policy, Config config = Config{.frames = 16}) {
  config.policy = policy;
  return config;
}

TEST_P(FastCowTest, VforkSuspendsTheParentUntilTheChildExecs) {
  FastCow cow = make();
  ASSERT_EQ(cow.apply(Op::vfork(1)), Outcome::forked(2));
  EXPECT_EQ(cow.apply(Op::read(1, 0)), Outcome::error(Status::Suspended));
  EXPECT_EQ(cow.apply(Op::fork(1)), Outcome::error(Status::Suspended));
  EXPECT_EQ(cow.apply(Op::exit(1)), Outcome::error(Status::Suspended));
  EXPECT_EQ(cow.apply(Op::write(2, 0, 5)), Outcome::wrote(Fault::None))
      << "the child writes its parent's own page, no COW";
  Snapshot snap = *cow.snapshot();
  ASSERT_EQ(snap.procs.size(), 2u);
  EXPECT_EQ(snap.procs[0], (ProcView{1, 1, true}));
  EXPECT_EQ(snap.procs[1], (ProcView{2, 1, false}));
  EXPECT_EQ(snap.ptes.size(), 4u) << "a vfork child borrowing a space has no PTEs of its own";
  EXPECT_EQ(cow.apply(Op::exec(2)), Outcome::ok());
  EXPECT_EQ(cow.apply(Op::read(1, 0)), Outcome::read(5)) << "the parent runs again and sees it";
  EXPECT_EQ(cow.apply(Op::read(2, 0)), Outcome::read(0)) << "a fresh space reads zero, no fault";
  snap = *cow.snapshot();
  EXPECT_EQ(snap.procs[1], (ProcView{2, 2, false}));
  const PteView* fresh = snap.find_pte(2, 0);
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->kind, MapKind::PrivateAnon);
  EXPECT_FALSE(fresh->present);
  EXPECT_EQ(snap.free_frames, 12u);
}

TEST_P(FastCowTest, AVforkChildsExitResumesItsParentAndKeepsTheSpace) {
  FastCow cow = make(Config{4, 16, 2, 2});
  ASSERT_EQ(cow.apply(Op::vfork(1)), Outcome::forked(2));
  EXPECT_EQ(cow.apply(Op::vfork(2)), Outcome::error(Status::ProcLimit));
  cow.apply(Op::mmap(2, 1, 1, MapKind::SharedAnon));
  EXPECT_EQ(cow.apply(Op::exit(2)), Outcome::ok());
  EXPECT_EQ(cow.pte_view(1, 1)->kind, MapKind::SharedAnon)
      << "the child's mmap was in the parent's space";
  EXPECT_EQ(cow.apply(Op::read(1, 0)), Outcome::read(0));
  EXPECT_EQ(cow.free_frames(), 13u) << "only the mmap dropped a frame";
}

TEST_P(FastCowTest, ExecDropsTheOldSpaceAndZeroFillsOnDemand) {
  FastCow cow = make();
  cow.apply(Op::write(1, 1, 3));
  cow.apply(Op::fork(1));
  EXPECT_EQ(cow.apply(Op::exec(2)), Outcome::ok());
  EXPECT_EQ(cow.frame_refcount(cow.pte_view(1, 1)->frame), 1u);
  EXPECT_EQ(cow.apply(Op::read(2, 1)), Outcome::read(0));
  EXPECT_EQ(cow.free_frames(), 12u) << "reading an untouched page maps nothing";
  EXPECT_EQ(cow.apply(Op::write(2, 1, 4)), Outcome::wrote(Fault::ZeroFill));
  PteView pte = *cow.pte_view(2, 1);
  EXPECT_TRUE(pte.present && pte.writable && pte.exclusive && !pte.cow);
  EXPECT_EQ(cow.apply(Op::read(2, 1)), Outcome::read(4));
  EXPECT_EQ(cow.apply(Op::read(1, 1)), Outcome::read(3));
}

TEST_P(FastCowTest, TextIsReadOnlyAndReadsTheFile) {
  FastCow cow = make();
  cow.apply(Op::mmap(1, 2, 1, MapKind::Text));
  EXPECT_EQ(cow.apply(Op::write(1, 2, 1)), Outcome::error(Status::ProtFault));
  EXPECT_EQ(cow.apply(Op::copyout(1, 2, 1)), Outcome::error(Status::ProtFault));
  EXPECT_EQ(cow.apply(Op::pin_page(1, 2, true)), Outcome::error(Status::ProtFault));
  EXPECT_EQ(cow.apply(Op::read(1, 2, 1)), Outcome::read(file_word(2, 1), Fault::PageIn));
  EXPECT_EQ(cow.apply(Op::write(1, 2, 1)), Outcome::error(Status::ProtFault)) << "present, still";
  PteView pte = *cow.pte_view(1, 2);
  EXPECT_TRUE(pte.present && !pte.writable && !pte.cow);
  EXPECT_EQ(pte.kind, MapKind::Text);
  cow.apply(Op::fork(1));
  Snapshot snap = *cow.snapshot();
  EXPECT_EQ(snap.find_pte(2, 2)->frame, pte.frame) << "fork shares text as it is";
  EXPECT_EQ(snap.refcount(pte.frame), 2u);
  EXPECT_TRUE(snap.find_frame(pte.frame)->cache);
  EXPECT_FALSE(snap.find_pte(2, 2)->cow);
}

TEST_P(FastCowTest, APrivateFilePageIsCopiedOnWriteAndTheFileKeepsItsWords) {
  FastCow cow = make();
  cow.apply(Op::mmap(1, 0, 2, MapKind::PrivateFile));
  EXPECT_EQ(cow.apply(Op::read(1, 1)), Outcome::read(file_word(1, 0), Fault::PageIn));
  PteView cached = *cow.pte_view(1, 1);
  EXPECT_TRUE(cached.present && !cached.writable && cached.cow && !cached.exclusive);
  EXPECT_EQ(cow.apply(Op::write(1, 1, 7)), Outcome::wrote(Fault::CowCopy))
      << "a cache frame is never reused by a private mapping";
  EXPECT_EQ(cow.apply(Op::read(1, 1, 1)), Outcome::read(file_word(1, 1))) << "the copy kept word 1";
  EXPECT_EQ(cow.apply(Op::write(1, 0, 8)), Outcome::wrote(Fault::CowCopy))
      << "page-in then copy: the COW decision is reported";
  cow.apply(Op::mmap(1, 2, 1, MapKind::SharedFile));
  cow.apply(Op::mmap(1, 1, 1, MapKind::SharedFile));
  EXPECT_EQ(cow.apply(Op::read(1, 1)), Outcome::read(file_word(1, 0), Fault::PageIn))
      << "the private write never reached the file";
  Snapshot snap = *cow.snapshot();
  EXPECT_TRUE(snap.find_frame(snap.find_pte(1, 1)->frame)->cache);
  EXPECT_FALSE(snap.find_frame(snap.find_pte(1, 0)->frame)->cache);
}

TEST_P(FastCowTest, ASharedFilePageIsOneFrameAndIsWrittenBackAtRefcountZero) {
  FastCow cow = make();
  cow.apply(Op::mmap(1, 1, 1, MapKind::SharedFile));
  EXPECT_EQ(cow.apply(Op::write(1, 1, 7)), Outcome::wrote(Fault::PageIn));
  cow.apply(Op::fork(1));
  EXPECT_EQ(cow.apply(Op::write(2, 1, 9, 1)), Outcome::wrote(Fault::None)) << "shared: no COW";
  EXPECT_EQ(cow.apply(Op::read(1, 1, 1)), Outcome::read(9));
  Pfn frame = cow.pte_view(1, 1)->frame;
  EXPECT_EQ(cow.pte_view(2, 1)->frame, frame);
  EXPECT_EQ(cow.snapshot()->refcount(frame), 2u);
  // The reverse map lists leaf entries: one for a leaf table fork shares.
  EXPECT_EQ(cow.frame_rmap_size(frame), GetParam() == ForkMode::Eager ? 2u : 1u);
  cow.apply(Op::munmap(1, 1, 1));
  cow.apply(Op::exit(2));
  EXPECT_EQ(cow.free_frames(), 16u - 3u) << "the last reference wrote the page back and freed it";
  cow.apply(Op::mmap(1, 1, 1, MapKind::PrivateFile));
  EXPECT_EQ(cow.apply(Op::read(1, 1)), Outcome::read(7, Fault::PageIn));
  EXPECT_EQ(cow.apply(Op::read(1, 1, 1)), Outcome::read(9));
}

TEST_P(FastCowTest, EachSharedAnonMappingIsANewZeroObject) {
  FastCow cow = make();
  cow.apply(Op::mmap(1, 0, 2, MapKind::SharedAnon));
  cow.apply(Op::fork(1));
  EXPECT_EQ(cow.apply(Op::write(2, 1, 4)), Outcome::wrote(Fault::PageIn));
  EXPECT_EQ(cow.apply(Op::read(1, 1)), Outcome::read(4, Fault::PageIn)) << "the same object page";
  cow.apply(Op::mmap(1, 1, 1, MapKind::SharedAnon));
  EXPECT_EQ(cow.apply(Op::read(1, 1)), Outcome::read(0, Fault::PageIn)) << "a new object";
  EXPECT_EQ(cow.apply(Op::read(2, 1)), Outcome::read(4));
}

TEST_P(FastCowTest, MunmapDropsTheFrameAndUnmapsThePage) {
  FastCow cow = make();
  EXPECT_EQ(cow.apply(Op::munmap(1, 1, 2)), Outcome::ok());
  EXPECT_EQ(cow.apply(Op::read(1, 1)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(cow.apply(Op::write(1, 2, 1)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(cow.apply(Op::pin_page(1, 2)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(cow.apply(Op::swapout(1, 2)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(cow.apply(Op::munmap(1, 3, 2)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(cow.apply(Op::mmap(1, 0, 0, MapKind::Text)), Outcome::error(Status::BadAddress));
  EXPECT_EQ(cow.free_frames(), 14u);
  EXPECT_EQ(cow.pte_view(1, 1)->kind, MapKind::None);
}

TEST_P(FastCowTest, SwapoutOfASharedPageSwapsEveryMapperAndSwapInRestoresTheSharing) {
  FastCow cow = make();
  cow.apply(Op::write(1, 0, 6, 1));
  cow.apply(Op::fork(1));
  EXPECT_EQ(cow.apply(Op::swapout(2, 0)), Outcome::ok());
  Snapshot snap = *cow.snapshot();
  const PteView* parent = snap.find_pte(1, 0);
  const PteView* child = snap.find_pte(2, 0);
  EXPECT_FALSE(parent->present || child->present);
  ASSERT_NE(parent->slot, kNoSlot);
  EXPECT_EQ(parent->slot, child->slot) << "the reverse map found both PTEs";
  EXPECT_TRUE(parent->cow && !parent->writable) << "a swap PTE keeps its bits";
  ASSERT_EQ(snap.slots.size(), 1u);
  EXPECT_EQ(snap.slots[0].refcount, 2u);
  EXPECT_EQ(snap.slots[0].contents[1], 6u);
  EXPECT_EQ(snap.free_frames, 13u) << "the frame was freed";
  EXPECT_EQ(cow.apply(Op::read(1, 0, 1)), Outcome::read(6, Fault::SwapIn));
  snap = *cow.snapshot();
  Pfn frame = snap.find_pte(1, 0)->frame;
  EXPECT_EQ(snap.find_pte(2, 0)->frame, frame) << "shared before the swapout, shared after";
  EXPECT_TRUE(snap.find_pte(2, 0)->present);
  EXPECT_EQ(snap.refcount(frame), 2u);
  EXPECT_TRUE(snap.slots.empty()) << "the slot was freed";
  EXPECT_EQ(cow.apply(Op::read(2, 0, 1)), Outcome::read(6)) << "no second swap-in";
  EXPECT_EQ(cow.apply(Op::write(2, 0, 1)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(cow.apply(Op::read(1, 0)), Outcome::read(0));
}

TEST_P(FastCowTest, SwapoutLeavesAPinnedFrameAndSkipsAnAbsentPage) {
  FastCow cow = make();
  cow.apply(Op::exec(1));
  EXPECT_EQ(cow.apply(Op::swapout(1, 0)), Outcome::ok()) << "nothing present: nothing to do";
  ASSERT_EQ(cow.apply(Op::pin_page(1, 0)), Outcome::pinned(1, Fault::ZeroFill))
      << "a pin needs a frame";
  EXPECT_EQ(cow.apply(Op::swapout(1, 0)), Outcome::error(Status::Busy));
  EXPECT_TRUE(cow.pte_view(1, 0)->present);
  EXPECT_EQ(cow.apply(Op::unpin(1)), Outcome::read(0));
  EXPECT_EQ(cow.apply(Op::unpin(1)), Outcome::error(Status::NoSuchPin));
  EXPECT_EQ(cow.apply(Op::swapout(1, 0)), Outcome::ok());
  EXPECT_EQ(cow.apply(Op::write(1, 0, 2)), Outcome::wrote(Fault::SwapIn))
      << "an exclusive page needs no copy after its swap-in";
}

TEST_P(FastCowTest, SwapoutOfAFilePageWritesItBackAndDropsEveryMapping) {
  FastCow cow = make();
  cow.apply(Op::mmap(1, 3, 1, MapKind::SharedFile));
  cow.apply(Op::write(1, 3, 5));
  cow.apply(Op::fork(1));
  EXPECT_EQ(cow.apply(Op::swapout(1, 3)), Outcome::ok());
  EXPECT_FALSE(cow.pte_view(2, 3)->present);
  EXPECT_EQ(cow.pte_view(2, 3)->slot, kNoSlot) << "a file page goes back to its file, not to swap";
  EXPECT_TRUE(cow.snapshot()->slots.empty());
  EXPECT_EQ(cow.apply(Op::read(2, 3)), Outcome::read(5, Fault::PageIn));
}

TEST_P(FastCowTest, PinThenForkUnderTheExclusivePolicyCopiesThePinnedPageEarly) {
  FastCow cow = make();
  cow.apply(Op::write(1, 0, 5));
  ASSERT_EQ(cow.apply(Op::pin_page(1, 0)), Outcome::pinned(1));
  Pfn pinned = cow.pte_view(1, 0)->frame;
  EXPECT_EQ(cow.frame_pins(pinned), 1u);
  ASSERT_EQ(cow.apply(Op::fork(1)), Outcome::forked(2));
  PteView parent = *cow.pte_view(1, 0);
  PteView child = *cow.pte_view(2, 0);
  EXPECT_EQ(parent.frame, pinned);
  EXPECT_TRUE(parent.writable && parent.exclusive) << "the parent keeps its PTE";
  EXPECT_NE(child.frame, pinned);
  EXPECT_TRUE(child.writable && child.exclusive && !child.cow);
  EXPECT_EQ(cow.apply(Op::read(2, 0)), Outcome::read(5));
  EXPECT_EQ(cow.apply(Op::write(1, 0, 6)), Outcome::wrote(Fault::None));
  EXPECT_EQ(cow.apply(Op::unpin(1)), Outcome::read(6)) << "the pin sees the parent's write";
  EXPECT_EQ(cow.apply(Op::read(2, 0)), Outcome::read(5));
  // An unpinned page is shared as usual.
  EXPECT_EQ(cow.pte_view(2, 1)->frame, cow.pte_view(1, 1)->frame);
}

TEST_P(FastCowTest, PinThenForkUnderThePageCountPolicyIsWrongWayCow) {
  FastCow cow = make(with_policy(ReusePolicy::PageCount));
  cow.apply(Op::write(1, 0, 5));
  cow.apply(Op::pin_page(1, 0));
  cow.apply(Op::fork(1));
  EXPECT_EQ(cow.pte_view(2, 0)->frame, cow.pte_view(1, 0)->frame) << "no early copy";
  cow.apply(Op::exit(2));
  EXPECT_EQ(cow.apply(Op::write(1, 0, 6)), Outcome::wrote(Fault::CowCopy))
      << "the pin's reference makes the page look shared";
  EXPECT_EQ(cow.apply(Op::unpin(1)), Outcome::read(5)) << "the pin lost the process's write";
}

TEST_P(FastCowTest, TheMapCountPolicyReusesAPinnedPage) {
  FastCow cow = make(with_policy(ReusePolicy::MapCount));
  cow.apply(Op::pin_page(1, 0));
  cow.apply(Op::fork(1));
  cow.apply(Op::exit(2));
  EXPECT_EQ(cow.apply(Op::write(1, 0, 6)), Outcome::wrote(Fault::CowReuse)) << "mapped once";
  EXPECT_EQ(cow.apply(Op::unpin(1)), Outcome::read(6));
}

TEST_P(FastCowTest, AReadOnlyPinUnsharesAPageItsProcessDoesNotOwn) {
  FastCow cow = make();
  cow.apply(Op::write(1, 0, 3));
  cow.apply(Op::fork(1));
  EXPECT_EQ(cow.apply(Op::pin_page(2, 0)), Outcome::pinned(1, Fault::CowCopy));
  PteView child = *cow.pte_view(2, 0);
  EXPECT_TRUE(child.writable && child.exclusive);
  EXPECT_NE(child.frame, cow.pte_view(1, 0)->frame);
  EXPECT_EQ(cow.apply(Op::pin_page(1, 0)), Outcome::pinned(2, Fault::CowReuse))
      << "the parent is now the frame's only owner";
  FastCow pagecount = make(with_policy(ReusePolicy::PageCount));
  pagecount.apply(Op::fork(1));
  EXPECT_EQ(pagecount.apply(Op::pin_page(2, 0)), Outcome::pinned(1))
      << "only the exclusive policy unshares on a read-only pin";
  EXPECT_EQ(pagecount.pte_view(2, 0)->frame, pagecount.pte_view(1, 0)->frame);
}

TEST_P(FastCowTest, UnpinChecksTheIdFirstThenTheWord) {
  FastCow cow = make();
  EXPECT_EQ(cow.apply(Op::unpin(1, 9)), Outcome::error(Status::NoSuchPin));
  cow.apply(Op::write(1, 0, 4, 1));
  cow.apply(Op::pin_page(1, 0, true));
  EXPECT_EQ(cow.apply(Op::unpin(1, 9)), Outcome::error(Status::BadAddress));
  cow.apply(Op::exit(1));
  EXPECT_EQ(cow.free_frames(), 15u) << "pins outlive their process";
  EXPECT_EQ(cow.apply(Op::unpin(1, 1)), Outcome::read(4));
  EXPECT_EQ(cow.free_frames(), 16u);
}

TEST_P(FastCowTest, CopyoutTakesTheCowPathLikeAWrite) {
  FastCow cow = make();
  cow.apply(Op::fork(1));
  cow.apply(Op::read(2, 0));  // a cached read-only translation the kernel must not use
  EXPECT_EQ(cow.apply(Op::copyout(2, 0, 9)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(cow.apply(Op::read(1, 0)), Outcome::read(0));
  EXPECT_EQ(cow.apply(Op::read(2, 0)), Outcome::read(9));
  EXPECT_EQ(cow.apply(Op::copyout(1, 0, 8)), Outcome::wrote(Fault::CowReuse));
  EXPECT_EQ(cow.apply(Op::copyout(1, 4, 8)), Outcome::error(Status::BadAddress));
  cow.apply(Op::exec(2));
  EXPECT_EQ(cow.apply(Op::copyout(2, 3, 1)), Outcome::wrote(Fault::ZeroFill));
}

TEST_P(FastCowTest, TheOomKillerTakesTheFaultingProcessButNeverFork) {
  Config config{2, 3, 4, 2};
  config.oom = OomPolicy::Kill;
  FastCow cow = make(config);
  cow.apply(Op::fork(1));
  EXPECT_EQ(cow.apply(Op::write(2, 0, 1)), Outcome::wrote(Fault::CowCopy));
  ASSERT_EQ(cow.free_frames(), 0u);
  EXPECT_EQ(cow.apply(Op::write(1, 1, 1)), Outcome::error(Status::Killed));
  EXPECT_EQ(cow.apply(Op::read(1, 0)), Outcome::error(Status::NoSuchProcess));
  EXPECT_EQ(cow.live_processes(), 1u);
  EXPECT_EQ(cow.free_frames(), 1u) << "the killed process's own frame was freed";
  EXPECT_EQ(cow.apply(Op::write(2, 1, 5)), Outcome::wrote(Fault::CowReuse));

  // Under the exclusive policy fork copies a pinned page early; with no
  // frame free it fails and nothing changes, whatever the OOM policy.
  FastCow full = make(config = Config{2, 2, 4, 2, ReusePolicy::Exclusive, OomPolicy::Kill});
  ASSERT_EQ(full.apply(Op::pin_page(1, 0)), Outcome::pinned(1));
  Snapshot before = *full.snapshot();
  EXPECT_EQ(full.apply(Op::fork(1)), Outcome::error(Status::OutOfMemory));
  EXPECT_EQ(*full.snapshot(), before);
  EXPECT_EQ(full.apply(Op::unpin(1)), Outcome::read(0));
  EXPECT_EQ(full.apply(Op::fork(1)), Outcome::forked(2)) << "the refused fork used no pid";
}

TEST_P(FastCowTest, ASwapInThatMustAlsoCopyNeedsTwoFrames) {
  FastCow cow = make(Config{2, 3, 4, 2});
  cow.apply(Op::fork(1));
  cow.apply(Op::swapout(1, 0));
  ASSERT_EQ(cow.free_frames(), 2u);
  cow.apply(Op::write(1, 1, 1));  // a copy: one frame left
  ASSERT_EQ(cow.free_frames(), 1u);
  Snapshot before = *cow.snapshot();
  EXPECT_EQ(cow.apply(Op::write(2, 0, 1)), Outcome::error(Status::OutOfMemory));
  EXPECT_EQ(*cow.snapshot(), before) << "it failed before the swap-in";
  EXPECT_EQ(cow.apply(Op::read(2, 0)), Outcome::read(0, Fault::SwapIn)) << "a read needs one";
}

// A thread runs in its creator's space; when the lowest pid in a space
// exits, the next lowest names it, and fork copies only the calling task.
TEST_P(FastCowTest, AThreadSharesTheSpaceAndOutlivesTheTaskThatNamedIt) {
  FastCow cow = make(Config{4, 16, 4, 2});
  EXPECT_EQ(cow.apply(Op::thread(1)), Outcome::forked(2));
  EXPECT_EQ(cow.apply(Op::write(2, 0, 5)), Outcome::wrote(Fault::None));
  EXPECT_EQ(cow.apply(Op::read(1, 0)), Outcome::read(5));
  EXPECT_EQ(cow.apply(Op::fork(2)), Outcome::forked(3));
  EXPECT_EQ(cow.apply(Op::exit(1)), Outcome::ok());
  Snapshot snap = *cow.snapshot();
  ASSERT_EQ(snap.procs.size(), 2u);
  EXPECT_EQ(snap.procs[0].pid, 2u);
  EXPECT_EQ(snap.procs[0].space, 2u) << "the thread names the space now";
  ASSERT_NE(snap.find_pte(2, 0), nullptr);
  EXPECT_EQ(cow.apply(Op::write(2, 0, 6)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(cow.apply(Op::read(3, 0)), Outcome::read(5));
  EXPECT_EQ(cow.apply(Op::thread(3)), Outcome::forked(4));
  EXPECT_EQ(cow.apply(Op::thread(3)), Outcome::forked(5));
  EXPECT_EQ(cow.apply(Op::thread(3)), Outcome::error(Status::ProcLimit)) << "tasks count";
  EXPECT_EQ(cow.apply(Op::exec(4)), Outcome::ok()) << "ends the rest of its group";
  EXPECT_EQ(cow.apply(Op::read(3, 0)), Outcome::error(Status::NoSuchProcess));
  EXPECT_EQ(cow.apply(Op::read(5, 0)), Outcome::error(Status::NoSuchProcess));
  EXPECT_EQ(cow.apply(Op::read(4, 0)), Outcome::read(0)) << "a fresh space";
}

TEST_P(FastCowTest, MadviseDropsPrivatePagesAndSharedOnesKeepTheirObject) {
  FastCow cow = make();
  cow.apply(Op::write(1, 0, 7));
  cow.apply(Op::mmap(1, 1, 1, MapKind::SharedAnon));
  cow.apply(Op::write(1, 1, 8));
  cow.apply(Op::mmap(1, 2, 1, MapKind::PrivateFile));
  cow.apply(Op::write(1, 2, 9));
  std::uint32_t free = cow.free_frames();
  EXPECT_EQ(cow.apply(Op::madvise(1, 0, 3)), Outcome::ok());
  EXPECT_EQ(cow.free_frames(), free + 3);
  EXPECT_EQ(cow.apply(Op::read(1, 0)), Outcome::read(0));
  EXPECT_EQ(cow.apply(Op::read(1, 1)), Outcome::read(8, Fault::PageIn));
  EXPECT_EQ(cow.apply(Op::read(1, 2)), Outcome::read(file_word(2, 0), Fault::PageIn));
  EXPECT_EQ(cow.apply(Op::madvise(1, 3, 2)), Outcome::error(Status::BadAddress));
}

// /proc/PID/mem on text: a private copy, read-only and not cow, that fork
// shares copy-on-write; the file keeps its words.
TEST_P(FastCowTest, AForcedWriteOfTextMakesAPrivateReadOnlyCopy) {
  FastCow cow = make();
  cow.apply(Op::mmap(1, 2, 1, MapKind::Text));
  EXPECT_EQ(cow.apply(Op::memwrite(1, 2, 7)), Outcome::wrote(Fault::CowCopy));
  PteView pte = *cow.pte_view(1, 2);
  EXPECT_TRUE(pte.present && !pte.writable && !pte.cow && pte.exclusive);
  EXPECT_FALSE(cow.snapshot()->find_frame(pte.frame)->cache);
  EXPECT_EQ(cow.apply(Op::write(1, 2, 8)), Outcome::error(Status::ProtFault));
  EXPECT_EQ(cow.apply(Op::memwrite(1, 2, 8, 1)), Outcome::wrote(Fault::None)) << "its own copy";
  cow.apply(Op::fork(1));
  EXPECT_EQ(cow.pte_view(2, 2)->frame, pte.frame);
  EXPECT_FALSE(cow.pte_view(2, 2)->exclusive);
  EXPECT_EQ(cow.apply(Op::memwrite(2, 2, 9)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(cow.apply(Op::read(1, 2)), Outcome::read(7));
  cow.apply(Op::mmap(2, 3, 1, MapKind::Text));
  EXPECT_EQ(cow.apply(Op::read(2, 3)), Outcome::read(file_word(3, 0), Fault::PageIn));
  cow.apply(Op::madvise(1, 2, 1));
  EXPECT_EQ(cow.apply(Op::read(1, 2)), Outcome::read(file_word(2, 0), Fault::PageIn))
      << "the file never saw the forced write";
}

INSTANTIATE_TEST_SUITE_P(BothForkModes, FastCowTest,
                         ::testing::Values(ForkMode::Eager, ForkMode::SharedTables),
                         [](const auto& info) {
                           return info.param == ForkMode::Eager ? "Eager" : "SharedTables";
                         });

}  // namespace
}  // namespace cow::fast
