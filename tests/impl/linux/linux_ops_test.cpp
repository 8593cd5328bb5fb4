// Every op the host runs, against what the semantics says (spec/semantics.cpp)
// and, where PFNs are readable, the fault the model (model/cow_model.cpp)
// names for it: mmap of each kind, munmap, vfork, exec, pins, copyout.
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "impl/linux/host_features.h"
#include "impl/linux/linux_cow.h"
#include "tests/impl/linux/linux_test_util.h"

namespace cow::linux_host {
namespace {

Outcome wrote(Fault f = Fault::None) { return Outcome::wrote(f); }
Outcome error(Status s) { return Outcome::error(s); }

// What the fault says where PFNs are readable; no fault where they are not.
Fault seen(Fault f) { return host_reads_pfns() ? f : Fault::None; }

// The state letter of a host process in /proc/PID/stat ('D': asleep and
// not interruptible, as a vfork parent is).
char host_state(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  std::size_t paren = line.rfind(')');
  return paren == std::string::npos ? '?' : line.at(paren + 2);
}

// --- mmap and munmap ---------------------------------------------------------

TEST(LinuxMmap, SharedAnonymousIsOneObjectAcrossFork) {
  LinuxCow host(Config{});
  EXPECT_EQ(host.apply(Op::mmap(1, 0, 2, MapKind::SharedAnon)), Outcome::ok());
  EXPECT_EQ(host.apply(Op::read(1, 0)), Outcome::read(0, seen(Fault::PageIn)));
  EXPECT_EQ(host.apply(Op::write(1, 1, 5)), wrote(seen(Fault::PageIn)));
  ASSERT_EQ(host.apply(Op::fork(1)), Outcome::forked(2));
  EXPECT_EQ(host.apply(Op::read(2, 1)).value, 5u);
  host.apply(Op::write(2, 0, 6));
  EXPECT_EQ(host.apply(Op::read(1, 0)).value, 6u);  // the parent sees the child's write
  host.apply(Op::write(1, 1, 7, 1));
  EXPECT_EQ(host.apply(Op::read(2, 1, 1)).value, 7u);  // and the child the parent's
  // The object outlives one mapper.
  EXPECT_EQ(host.apply(Op::munmap(1, 0, 2)), Outcome::ok());
  EXPECT_EQ(host.apply(Op::read(2, 0)).value, 6u);
}

TEST(LinuxMmap, EachSharedAnonymousMapIsANewObject) {
  LinuxCow host(Config{});
  host.apply(Op::mmap(1, 0, 1, MapKind::SharedAnon));
  host.apply(Op::write(1, 0, 3));
  host.apply(Op::fork(1));
  host.apply(Op::mmap(2, 0, 1, MapKind::SharedAnon));  // the child's own object now
  EXPECT_EQ(host.apply(Op::read(2, 0)).value, 0u);
  host.apply(Op::write(2, 0, 4));
  EXPECT_EQ(host.apply(Op::read(1, 0)).value, 3u);
}

TEST(LinuxMmap, FileMappingsShowTheFileWords) {
  Config config;
  config.words = 3;
  LinuxCow host(config);
  host.apply(Op::mmap(1, 0, 1, MapKind::Text));
  host.apply(Op::mmap(1, 1, 1, MapKind::PrivateFile));
  host.apply(Op::mmap(1, 2, 2, MapKind::SharedFile));
  for (Vpn p = 0; p < 4; ++p)
    for (std::uint32_t w = 0; w < 3; ++w)
      EXPECT_EQ(host.apply(Op::read(1, p, w)).value, file_word(p, w)) << "page " << p;
}

TEST(LinuxMmap, APrivateFilePageIsCopiedOnWriteAndTheFileKept) {
  LinuxCow host(Config{});
  host.apply(Op::mmap(1, 0, 2, MapKind::PrivateFile));
  // Read first, then written: the file's page was mapped, and is copied.
  EXPECT_EQ(host.apply(Op::read(1, 1)), Outcome::read(file_word(1, 0), seen(Fault::PageIn)));
  EXPECT_EQ(host.apply(Op::write(1, 1, 6)), wrote(seen(Fault::CowCopy)));
  ASSERT_EQ(host.apply(Op::fork(1)), Outcome::forked(2));
  // Written at once: the file's page is copied then and there.
  EXPECT_EQ(host.apply(Op::write(2, 0, 5)), wrote(seen(Fault::CowCopy)));
  EXPECT_EQ(host.apply(Op::read(1, 0)).value, file_word(0, 0));
  EXPECT_EQ(host.apply(Op::read(2, 0)).value, 5u);
  EXPECT_EQ(host.apply(Op::read(2, 1)).value, 6u);
  // The file never saw either write.
  host.apply(Op::mmap(1, 0, 2, MapKind::SharedFile));
  EXPECT_EQ(host.apply(Op::read(1, 0)).value, file_word(0, 0));
  EXPECT_EQ(host.apply(Op::read(1, 1)).value, file_word(1, 0));
}

TEST(LinuxMmap, ASharedFileWriteIsSeenByEveryMappingThatShowsTheFile) {
  LinuxCow host(Config{});
  host.apply(Op::mmap(1, 0, 1, MapKind::SharedFile));
  host.apply(Op::fork(1));
  host.apply(Op::mmap(2, 0, 1, MapKind::Text));
  host.apply(Op::mmap(1, 1, 1, MapKind::PrivateFile));
  EXPECT_EQ(host.apply(Op::write(1, 0, 42)).status, Status::Ok);
  EXPECT_EQ(host.apply(Op::read(2, 0)).value, 42u);  // text shows the file
  // A private file page shows the file until its process writes it.
  host.apply(Op::mmap(1, 1, 1, MapKind::SharedFile));
  host.apply(Op::write(1, 1, 43));
  host.apply(Op::mmap(2, 1, 1, MapKind::PrivateFile));
  EXPECT_EQ(host.apply(Op::read(2, 1)).value, 43u);
  host.apply(Op::write(2, 1, 44));
  host.apply(Op::write(1, 1, 45));
  EXPECT_EQ(host.apply(Op::read(2, 1)).value, 44u);
}

TEST(LinuxMmap, WritingTextIsAProtectionFault) {
  LinuxCow host(Config{});
  host.apply(Op::mmap(1, 2, 1, MapKind::Text));
  EXPECT_EQ(host.apply(Op::write(1, 2, 1)), error(Status::ProtFault));
  EXPECT_EQ(host.apply(Op::copyout(1, 2, 1)), error(Status::ProtFault));
  EXPECT_EQ(host.apply(Op::pin_page(1, 2, true)), error(Status::ProtFault));
  EXPECT_EQ(host.apply(Op::read(1, 2)).value, file_word(2, 0));  // nothing was stored
  // A read-only pin of text is fine; no pin id was taken by the refused one.
  EXPECT_EQ(host.apply(Op::pin_page(1, 2)).pin, 1u);
}

TEST(LinuxMmap, AnUnmappedPageIsABadAddressForEveryAccess) {
  LinuxCow host(Config{});
  EXPECT_EQ(host.apply(Op::munmap(1, 1, 2)), Outcome::ok());
  EXPECT_EQ(host.apply(Op::read(1, 1)), error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::write(1, 2, 1)), error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::copyout(1, 1, 1)), error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::pin_page(1, 2)), error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::pin_page(1, 2, true)), error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::read(1, 3)), Outcome::read(0));    // the neighbours are still there
  EXPECT_EQ(host.apply(Op::munmap(1, 1, 1)), Outcome::ok());  // unmapping twice is fine
  // Mapped again: private anonymous and untouched.
  host.apply(Op::mmap(1, 1, 1, MapKind::PrivateAnon));
  EXPECT_EQ(host.apply(Op::read(1, 1)), Outcome::read(0));
  EXPECT_EQ(host.apply(Op::write(1, 1, 1)), wrote(seen(Fault::ZeroFill)));
}

TEST(LinuxMmap, RangesOutsideTheSpaceAreBadAddresses) {
  LinuxCow host(Config{});  // 4 pages
  EXPECT_EQ(host.apply(Op::mmap(1, 0, 0, MapKind::PrivateAnon)), error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::mmap(1, 3, 2, MapKind::SharedAnon)), error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::mmap(1, 4, 1, MapKind::Text)), error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::mmap(1, 0, 1, MapKind::None)), error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::munmap(1, 2, 3)), error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::munmap(1, 0, 0)), error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::mmap(9, 0, 1, MapKind::Text)), error(Status::NoSuchProcess));
  EXPECT_EQ(host.apply(Op::mmap(1, 0, 4, MapKind::SharedFile)), Outcome::ok());
}

// --- vfork -------------------------------------------------------------------

TEST(LinuxVfork, TheChildBorrowsTheSpaceAndTheParentSleepsUntilItExits) {
  LinuxCow host(Config{});
  host.apply(Op::write(1, 0, 7));
  ASSERT_EQ(host.apply(Op::vfork(1)), Outcome::forked(2));
  EXPECT_EQ(host.apply(Op::read(2, 0)), Outcome::read(7));
  // One space: no fork write-protected anything, so no fault.
  EXPECT_EQ(host.apply(Op::write(2, 0, 8)), wrote(Fault::None));
  host.apply(Op::mmap(2, 1, 1, MapKind::SharedAnon));
  for (const Op& op : {Op::read(1, 0), Op::write(1, 0, 1), Op::fork(1), Op::vfork(1), Op::exit(1),
                       Op::exec(1), Op::mmap(1, 0, 1, MapKind::Text), Op::munmap(1, 0, 1),
                       Op::copyout(1, 0, 1), Op::pin_page(1, 0)})
    EXPECT_EQ(host.apply(op), error(Status::Suspended)) << to_string(op);
  EXPECT_EQ(host_state(*host.host_pid(1)), 'D');  // asleep in the kernel, in vfork
  EXPECT_EQ(host.apply(Op::exit(2)), Outcome::ok());
  EXPECT_NE(host_state(*host.host_pid(1)), 'D');
  EXPECT_EQ(host.apply(Op::read(1, 0)), Outcome::read(8));  // the child's write, in its space
  EXPECT_EQ(host.apply(Op::read(1, 1)), Outcome::read(0, seen(Fault::PageIn)));  // its mmap too
  EXPECT_EQ(host.apply(Op::write(1, 0, 9)), wrote(Fault::None));
}

TEST(LinuxVfork, AChildThatExecsReleasesItsParent) {
  LinuxCow host(Config{});
  host.apply(Op::write(1, 0, 7));
  pid_t parent_host = *host.host_pid(1);
  ASSERT_EQ(host.apply(Op::vfork(1)), Outcome::forked(2));
  pid_t child_host = *host.host_pid(2);
  EXPECT_EQ(host.apply(Op::exec(2)), Outcome::ok());
  EXPECT_EQ(host.host_pid(2), child_host);                  // exec keeps the process
  EXPECT_EQ(host.apply(Op::read(2, 0)), Outcome::read(0));  // a fresh space
  EXPECT_EQ(host.apply(Op::write(2, 0, 1)), wrote(seen(Fault::ZeroFill)));
  EXPECT_EQ(host.apply(Op::read(1, 0)), Outcome::read(7));  // the parent's is its own again
  EXPECT_EQ(host.host_pid(1), parent_host);
}

TEST(LinuxVfork, ChainsNestAndUnwindInOrder) {
  LinuxCow host(Config{});
  ASSERT_EQ(host.apply(Op::vfork(1)), Outcome::forked(2));
  ASSERT_EQ(host.apply(Op::vfork(2)), Outcome::forked(3));
  host.apply(Op::write(3, 0, 5));
  EXPECT_EQ(host.apply(Op::read(2, 0)), error(Status::Suspended));
  EXPECT_EQ(host.apply(Op::read(1, 0)), error(Status::Suspended));
  EXPECT_EQ(host.apply(Op::exit(3)), Outcome::ok());
  EXPECT_EQ(host.apply(Op::read(2, 0)), Outcome::read(5));
  EXPECT_EQ(host.apply(Op::read(1, 0)), error(Status::Suspended));
  EXPECT_EQ(host.apply(Op::exec(2)), Outcome::ok());
  EXPECT_EQ(host.apply(Op::read(1, 0)), Outcome::read(5));
  EXPECT_EQ(host.apply(Op::read(2, 0)), Outcome::read(0));
}

TEST(LinuxVfork, AVforkChildCanForkAChildOfItsOwn) {
  LinuxCow host(Config{});
  host.apply(Op::write(1, 0, 7));
  host.apply(Op::vfork(1));
  ASSERT_EQ(host.apply(Op::fork(2)), Outcome::forked(3));
  EXPECT_EQ(host.apply(Op::write(3, 0, 8)), wrote(seen(Fault::CowCopy)));
  host.apply(Op::exit(2));
  // The fork write-protected the one space of 1 and 2; 3 copied, so 1 reuses.
  EXPECT_EQ(host.apply(Op::write(1, 0, 9)), wrote(seen(Fault::CowReuse)));
  EXPECT_EQ(host.apply(Op::read(3, 0)), Outcome::read(8));
}

TEST(LinuxVfork, VforkChildrenCountAgainstTheProcessLimit) {
  LinuxCow host(with_procs(2));
  ASSERT_EQ(host.apply(Op::vfork(1)), Outcome::forked(2));
  EXPECT_EQ(host.apply(Op::vfork(2)), error(Status::ProcLimit));
  EXPECT_EQ(host.apply(Op::fork(2)), error(Status::ProcLimit));
  host.apply(Op::exit(2));
  EXPECT_EQ(host.apply(Op::vfork(1)), Outcome::forked(3));  // only a vfork that worked took a pid
}

// --- exec --------------------------------------------------------------------

TEST(LinuxExec, AFreshSpaceOfUntouchedPrivatePages) {
  LinuxCow host(Config{});
  host.apply(Op::write(1, 0, 7));
  host.apply(Op::mmap(1, 1, 1, MapKind::Text));
  host.apply(Op::mmap(1, 2, 1, MapKind::SharedAnon));
  host.apply(Op::munmap(1, 3, 1));
  host.apply(Op::fork(1));
  pid_t before = *host.host_pid(1);
  EXPECT_EQ(host.apply(Op::exec(1)), Outcome::ok());
  EXPECT_EQ(host.host_pid(1), before);
  for (Vpn vpn = 0; vpn < 4; ++vpn) {
    EXPECT_EQ(host.apply(Op::read(1, vpn)), Outcome::read(0)) << "vpn " << vpn;
    EXPECT_EQ(host.apply(Op::write(1, vpn, 1)), wrote(seen(Fault::ZeroFill))) << "vpn " << vpn;
  }
  EXPECT_EQ(host.apply(Op::read(2, 0)), Outcome::read(7));  // the child kept the old space
  // And again, and then a fork of the new image.
  EXPECT_EQ(host.apply(Op::exec(1)), Outcome::ok());
  EXPECT_EQ(host.apply(Op::fork(1)), Outcome::forked(3));
  EXPECT_EQ(host.apply(Op::read(3, 0)), Outcome::read(0));
}

TEST(LinuxExec, PinsOutliveTheSpaceThatTookThem) {
  LinuxCow host(Config{});
  host.apply(Op::write(1, 0, 7));
  PinId pin = host.apply(Op::pin_page(1, 0)).pin;
  host.apply(Op::exec(1));
  host.apply(Op::write(1, 0, 8));
  EXPECT_EQ(host.apply(Op::unpin(pin)), Outcome::read(7));
}

// --- pin and unpin ---------------------------------------------------------------

TEST(LinuxPin, IdsCountUpAndAnUnknownIdIsNoSuchPin) {
  LinuxCow host(Config{});
  EXPECT_EQ(host.apply(Op::pin_page(1, 0)), Outcome::pinned(1));
  EXPECT_EQ(host.apply(Op::pin_page(1, 0, true)), Outcome::pinned(2));
  EXPECT_EQ(host.apply(Op::unpin(3)), error(Status::NoSuchPin));
  EXPECT_EQ(host.apply(Op::unpin(1, 2)), error(Status::BadAddress));  // a bad word keeps the pin
  EXPECT_EQ(host.apply(Op::unpin(1)), Outcome::read(0));
  EXPECT_EQ(host.apply(Op::unpin(1)), error(Status::NoSuchPin));
  EXPECT_EQ(host.apply(Op::pin_page(2, 0)), error(Status::NoSuchProcess));
  EXPECT_EQ(host.apply(Op::pin_page(1, 4)), error(Status::BadAddress));
  EXPECT_EQ(host.apply(Op::pin_page(1, 1)), Outcome::pinned(3));
}

// CVE-2020-29374: a child pins the page it shares with its parent and exits;
// the parent writes. The pin must keep what the child saw. Since 5.19 the
// pin unshares the page first (the child copies), so the parent is then
// the page's only user and reuses it, exactly as the model does.
TEST(LinuxPin, APinByAnExitedChildKeepsWhatTheChildSaw) {
  LinuxCow host(Config{});
  host.apply(Op::write(1, 0, 7));
  host.apply(Op::fork(1));
  EXPECT_EQ(host.apply(Op::pin_page(2, 0)), Outcome::pinned(1, seen(Fault::CowCopy)));
  host.apply(Op::exit(2));
  EXPECT_EQ(host.apply(Op::write(1, 0, 8)), wrote(seen(Fault::CowReuse)));
  EXPECT_EQ(host.apply(Op::unpin(1)), Outcome::read(7));
}

// The wrong-way COW that page-count reuse allowed (5.9-5.18): a pin taken
// before a fork must go on seeing its process's writes. The fork copies
// the pinned page for the child at once, so the parent's stays writable.
TEST(LinuxPin, APinTakenBeforeAForkSeesItsProcesssLaterWrites) {
  LinuxCow host(Config{});
  host.apply(Op::write(1, 0, 7));
  EXPECT_EQ(host.apply(Op::pin_page(1, 0)), Outcome::pinned(1));
  host.apply(Op::fork(1));
  EXPECT_EQ(host.apply(Op::write(1, 0, 8)), wrote(Fault::None));
  EXPECT_EQ(host.apply(Op::write(2, 0, 9)), wrote(Fault::None));  // its own copy already
  EXPECT_EQ(host.apply(Op::unpin(1)), Outcome::read(8));
  EXPECT_EQ(host.apply(Op::read(2, 0)), Outcome::read(9));
}

TEST(LinuxPin, APinOfASharedPageUnsharesItFirst) {
  LinuxCow host(Config{});
  host.apply(Op::fork(1));
  EXPECT_EQ(host.apply(Op::pin_page(1, 0)), Outcome::pinned(1, seen(Fault::CowCopy)));
  EXPECT_EQ(host.apply(Op::write(1, 0, 5)), wrote(Fault::None));
  EXPECT_EQ(host.apply(Op::unpin(1)), Outcome::read(5));
  // The other sharer was left alone with the old page: it reuses.
  EXPECT_EQ(host.apply(Op::write(2, 0, 6)), wrote(seen(Fault::CowReuse)));
  // Untouched pages need a frame to pin: zero-filled.
  host.apply(Op::mmap(1, 1, 1, MapKind::PrivateAnon));
  EXPECT_EQ(host.apply(Op::pin_page(1, 1)), Outcome::pinned(2, seen(Fault::ZeroFill)));
}

TEST(LinuxPin, UnpinningLetsTheNextForkShareThePageAgain) {
  LinuxCow host(Config{});
  host.apply(Op::pin_page(1, 0));
  host.apply(Op::unpin(1));
  host.apply(Op::fork(1));
  EXPECT_EQ(host.apply(Op::write(2, 0, 1)), wrote(seen(Fault::CowCopy)));
  EXPECT_EQ(host.apply(Op::write(1, 0, 2)), wrote(seen(Fault::CowReuse)));
}

// A read-only pin of a private file page its process never wrote pins the
// file's page: it goes on showing the file, not the process's later copy.
// A read-write pin copies first and pins the copy.
TEST(LinuxPin, AReadOnlyPinOfAPrivateFilePagePinsTheFile) {
  LinuxCow host(Config{});
  host.apply(Op::mmap(1, 0, 2, MapKind::PrivateFile));
  EXPECT_EQ(host.apply(Op::pin_page(1, 0)), Outcome::pinned(1, seen(Fault::PageIn)));
  EXPECT_EQ(host.apply(Op::write(1, 0, 5)), wrote(seen(Fault::CowCopy)));
  EXPECT_EQ(host.apply(Op::unpin(1)), Outcome::read(file_word(0, 0)));
  EXPECT_EQ(host.apply(Op::pin_page(1, 1, true)), Outcome::pinned(2, seen(Fault::CowCopy)));
  EXPECT_EQ(host.apply(Op::write(1, 1, 6)), wrote(Fault::None));
  EXPECT_EQ(host.apply(Op::unpin(2)), Outcome::read(6));
}

TEST(LinuxPin, APinOfTheFileSeesWritesThroughASharedMapping) {
  LinuxCow host(Config{});
  host.apply(Op::mmap(1, 0, 1, MapKind::Text));
  host.apply(Op::pin_page(1, 0));
  host.apply(Op::mmap(1, 0, 1, MapKind::SharedFile));
  host.apply(Op::write(1, 0, 77));
  EXPECT_EQ(host.apply(Op::unpin(1)), Outcome::read(77));
}

TEST(LinuxPin, PinsOutliveTheirProcess) {
  LinuxCow host(Config{});
  host.apply(Op::fork(1));
  host.apply(Op::write(2, 0, 3));
  host.apply(Op::pin_page(2, 0, true));
  host.apply(Op::exit(2));
  EXPECT_EQ(host.apply(Op::unpin(1)), Outcome::read(3));
}

// selftests/mm/cow.c's read-only "pin" is a vmsplice() reference, not a
// FOLL_PIN: it does not unshare, and a fork does not copy for it. Taken
// before a fork, it loses sight of its process's writes (the wrong-way
// COW the `pin` op must not show); the host copies because the page has a
// reference besides its mapping.
TEST(LinuxPin, AVmspliceReferenceIsNotAPin) {
  LinuxCow host(Config{});
  host.apply(Op::write(1, 0, 7));
  int reference = host.reference(1, 0);
  host.apply(Op::fork(1));
  host.apply(Op::exit(2));
  EXPECT_EQ(host.apply(Op::write(1, 0, 8)), wrote(seen(Fault::CowCopy)));
  EXPECT_EQ(host.drop_reference(reference), 7u);  // a pin would read 8
}

// --- copyout -----------------------------------------------------------------

TEST(LinuxCopyout, TheKernelsStoreTakesTheCowPathAndLeaksNothing) {
  LinuxCow host(Config{});
  host.apply(Op::write(1, 0, 7));
  host.apply(Op::fork(1));
  EXPECT_EQ(host.apply(Op::copyout(2, 0, 9)), wrote(seen(Fault::CowCopy)));
  EXPECT_EQ(host.apply(Op::read(1, 0)), Outcome::read(7));  // the sibling never sees it
  EXPECT_EQ(host.apply(Op::read(2, 0)), Outcome::read(9));
  EXPECT_EQ(host.apply(Op::copyout(1, 0, 3, 1)), wrote(seen(Fault::CowReuse)));
  EXPECT_EQ(host.apply(Op::read(2, 0, 1)), Outcome::read(0));
  EXPECT_EQ(host.apply(Op::copyout(1, 0, 4)), wrote(Fault::None));
}

TEST(LinuxCopyout, IntoFreshAndSharedPages) {
  LinuxCow host(Config{});
  host.apply(Op::mmap(1, 0, 1, MapKind::PrivateAnon));
  EXPECT_EQ(host.apply(Op::copyout(1, 0, 5)), wrote(seen(Fault::ZeroFill)));
  host.apply(Op::mmap(1, 1, 1, MapKind::SharedAnon));
  host.apply(Op::fork(1));
  EXPECT_EQ(host.apply(Op::copyout(2, 1, 6)).status, Status::Ok);
  EXPECT_EQ(host.apply(Op::read(1, 1)).value, 6u);
  host.apply(Op::mmap(1, 2, 1, MapKind::PrivateFile));
  EXPECT_EQ(host.apply(Op::copyout(1, 2, 8)), wrote(seen(Fault::CowCopy)));
  EXPECT_EQ(host.apply(Op::read(1, 2)).value, 8u);
}

// --- swapout -----------------------------------------------------------------

TEST(LinuxSwapout, IsLeftOutAndSaysWhy) {
  LinuxCow host(Config{});
  EXPECT_FALSE(op_in(host.supported_ops(), OpKind::Swapout));
  EXPECT_EQ(host.supported_ops(), kAllOps & ~op_mask(OpKind::Swapout));  // io_uring here
  EXPECT_THROW(host.apply(Op::swapout(1, 0)), UnsupportedOp);
  if (!host_has_swap()) {
    EXPECT_NE(host.describe().find("the host has no swap"), std::string::npos) << host.describe();
  }
  EXPECT_EQ(host.apply(Op::read(1, 0)), Outcome::read(0));  // nothing was sent, nothing broke
}

// --- reads -------------------------------------------------------------------

TEST(LinuxRead, AnUntouchedPrivatePageReadsZeroWithoutAFault) {
  LinuxCow host(Config{});
  host.apply(Op::exec(1));
  EXPECT_EQ(host.apply(Op::read(1, 0)), Outcome::read(0));  // the zero page, no frame
  host.apply(Op::fork(1));
  // Still no frame of its own: a write fills one.
  EXPECT_EQ(host.apply(Op::write(2, 0, 1)), wrote(seen(Fault::ZeroFill)));
  EXPECT_EQ(host.apply(Op::write(1, 0, 2)), wrote(seen(Fault::ZeroFill)));
}

}  // namespace
}  // namespace cow::linux_host
