// Shared-tables fork (On-Demand-Fork): fork shares leaf tables; the first
// write through one unshares it. What a program sees must not change.
#include <gtest/gtest.h>

#include "impl/fast/fast_cow.h"

namespace cow::fast {
namespace {

FastCow shared(const Config& config = Config{.frames = 16}) {
  return FastCow(config, FastOptions{ForkMode::SharedTables, true, Mutation::None});
}

TEST(SharedTables, ForkSharesTheLeafTableAndNoFrameReference) {
  FastCow cow = shared();
  TableId table = *cow.leaf_table_of(1, 0);
  cow.apply(Op::fork(1));
  EXPECT_EQ(cow.leaf_table_of(2, 0), table);
  EXPECT_EQ(cow.table_refcount(table), 2u);
  PteView pte = *cow.pte_view(2, 0);
  EXPECT_EQ(cow.frame_refcount(pte.frame), 1u) << "one reference for the table, not per process";
  // ... but every process sees what the spec says: two PTEs, read-only, cow.
  Snapshot snap = *cow.snapshot();
  EXPECT_EQ(snap.refcount(pte.frame), 2u);
  for (Pid pid : {1u, 2u}) {
    const PteView* view = snap.find_pte(pid, 0);
    EXPECT_TRUE(view->present && !view->writable && view->cow) << "pid " << pid;
  }
}

TEST(SharedTables, RefcountOneInASharedTableIsNotSoleOwnership) {
  FastCow cow = shared();
  cow.apply(Op::fork(1));
  PteView pte = *cow.pte_view(1, 0);
  TableId table = *cow.leaf_table_of(1, 0);
  ASSERT_EQ(cow.frame_refcount(pte.frame), 1u);
  EXPECT_FALSE(cow.can_reuse_frame(pte.frame, table));
  EXPECT_EQ(cow.apply(Op::write(1, 0, 6)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(cow.apply(Op::read(2, 0)), Outcome::read(0));
}

TEST(SharedTables, TheFirstWriteUnsharesTheTable) {
  FastCow cow = shared();
  TableId table = *cow.leaf_table_of(1, 0);
  cow.apply(Op::fork(1));
  EXPECT_EQ(cow.apply(Op::write(2, 1, 3)), Outcome::wrote(Fault::CowCopy));
  TableId own = *cow.leaf_table_of(2, 0);
  EXPECT_NE(own, table);
  EXPECT_EQ(cow.leaf_table_of(1, 0), table);
  EXPECT_EQ(cow.table_refcount(table), 1u);
  EXPECT_EQ(cow.table_refcount(own), 1u);
  // The pages not written are now mapped by both tables: one reference each.
  PteView untouched = *cow.pte_view(2, 0);
  EXPECT_EQ(cow.frame_refcount(untouched.frame), 2u);
  EXPECT_TRUE(untouched.cow && !untouched.writable);
  EXPECT_EQ(cow.pte_view(1, 0)->frame, untouched.frame);
  // The parent is the old table's only user now, but its frames are shared.
  EXPECT_EQ(cow.apply(Op::write(1, 0, 4)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(cow.apply(Op::write(2, 0, 5)), Outcome::wrote(Fault::CowReuse));
  EXPECT_EQ(cow.apply(Op::read(1, 0)), Outcome::read(4));
  EXPECT_EQ(cow.apply(Op::read(2, 0)), Outcome::read(5));
  EXPECT_EQ(cow.apply(Op::read(1, 1)), Outcome::read(0));
  EXPECT_EQ(cow.apply(Op::read(2, 1)), Outcome::read(3));
}

TEST(SharedTables, TheLastSharerReclaimsTheTableWithoutACopy) {
  FastCow cow = shared();
  TableId table = *cow.leaf_table_of(1, 0);
  cow.apply(Op::fork(1));
  cow.apply(Op::exit(2));
  EXPECT_EQ(cow.table_refcount(table), 1u);
  std::uint32_t free_before = cow.free_frames();
  EXPECT_EQ(cow.apply(Op::write(1, 0, 1)), Outcome::wrote(Fault::CowReuse));
  EXPECT_EQ(cow.free_frames(), free_before);
  EXPECT_EQ(cow.leaf_table_of(1, 0), table);
  // The other pages were forked too: still copy-on-write, served by reuse.
  PteView other = *cow.pte_view(1, 1);
  EXPECT_TRUE(other.cow && !other.writable);
  EXPECT_EQ(cow.apply(Op::write(1, 1, 1)), Outcome::wrote(Fault::CowReuse));
  EXPECT_EQ(cow.apply(Op::write(1, 1, 2)), Outcome::wrote(Fault::None));
}

TEST(SharedTables, ExitOfOneSharerKeepsTheFramesOfTheOthers) {
  FastCow cow = shared();
  cow.apply(Op::write(1, 0, 9));
  cow.apply(Op::fork(1));
  cow.apply(Op::fork(1));
  TableId table = *cow.leaf_table_of(1, 0);
  EXPECT_EQ(cow.table_refcount(table), 3u);
  cow.apply(Op::exit(1));
  EXPECT_EQ(cow.table_refcount(table), 2u);
  EXPECT_EQ(cow.apply(Op::read(2, 0)), Outcome::read(9));
  EXPECT_EQ(cow.apply(Op::read(3, 0)), Outcome::read(9));
  cow.apply(Op::exit(2));
  cow.apply(Op::exit(3));
  EXPECT_EQ(cow.free_frames(), 16u);
  EXPECT_EQ(cow.page_table_bytes(), 0u);
}

// Swapout and swap-in change every mapper through the reverse map; a leaf
// table fork shares is one entry for all its sharers and changes in place.
TEST(SharedTables, SwapoutAndSwapInThroughASharedTableKeepItShared) {
  FastCow cow = shared();
  cow.apply(Op::write(1, 0, 4));
  cow.apply(Op::fork(1));
  TableId table = *cow.leaf_table_of(1, 0);
  EXPECT_EQ(cow.apply(Op::swapout(2, 0)), Outcome::ok());
  EXPECT_EQ(cow.leaf_table_of(2, 0), table) << "no unshare: the change is every sharer's";
  Snapshot snap = *cow.snapshot();
  ASSERT_EQ(snap.slots.size(), 1u);
  EXPECT_EQ(snap.slots[0].refcount, 2u) << "two PTEs name the slot";
  EXPECT_EQ(cow.slot_rmap_size(snap.slots[0].slot), 1u) << "through one shared entry";
  EXPECT_TRUE(snap.find_pte(1, 0)->cow && !snap.find_pte(1, 0)->exclusive)
      << "seen through the shared table, the page was forked";
  EXPECT_EQ(cow.apply(Op::read(1, 0)), Outcome::read(4, Fault::SwapIn));
  snap = *cow.snapshot();
  EXPECT_EQ(snap.find_pte(2, 0)->frame, snap.find_pte(1, 0)->frame);
  EXPECT_EQ(snap.refcount(snap.find_pte(1, 0)->frame), 2u);
  EXPECT_EQ(cow.table_refcount(table), 2u);
  EXPECT_EQ(cow.apply(Op::write(2, 0, 5)), Outcome::wrote(Fault::CowCopy));
  EXPECT_NE(cow.leaf_table_of(2, 0), table);
  EXPECT_EQ(cow.apply(Op::read(1, 0)), Outcome::read(4));
}

// munmap, mmap and page-in change one process's PTEs only: they unshare.
TEST(SharedTables, MunmapAndMmapUnshareTheTableFirst) {
  FastCow cow = shared();
  cow.apply(Op::fork(1));
  TableId table = *cow.leaf_table_of(1, 0);
  EXPECT_EQ(cow.apply(Op::munmap(2, 1, 1)), Outcome::ok());
  EXPECT_NE(cow.leaf_table_of(2, 0), table);
  EXPECT_EQ(cow.apply(Op::read(1, 1)), Outcome::read(0)) << "the parent's page is still mapped";
  EXPECT_EQ(cow.apply(Op::read(2, 1)), Outcome::error(Status::BadAddress));
  cow.apply(Op::fork(1));
  EXPECT_EQ(cow.apply(Op::mmap(3, 2, 1, MapKind::SharedFile)), Outcome::ok());
  EXPECT_EQ(cow.apply(Op::read(1, 2)), Outcome::read(0));
  EXPECT_EQ(cow.apply(Op::read(3, 2)), Outcome::read(file_word(2, 0), Fault::PageIn));
  Snapshot snap = *cow.snapshot();
  EXPECT_EQ(snap.refcount(snap.find_pte(1, 0)->frame), 3u);
}

// The early copy of a pinned exclusive page needs its own leaf table: that
// table is forked eagerly, the others are still shared.
TEST(SharedTables, APinnedExclusivePageIsCopiedEarlyInAnEagerlyForkedTable) {
  Config config{1024, 1100, 4, 2};
  FastCow cow = shared(config);
  cow.apply(Op::write(1, 600, 8));
  cow.apply(Op::pin_page(1, 600));
  TableId pinned_table = *cow.leaf_table_of(1, 600);
  TableId other_table = *cow.leaf_table_of(1, 0);
  ASSERT_EQ(cow.apply(Op::fork(1)), Outcome::forked(2));
  EXPECT_EQ(cow.leaf_table_of(2, 0), other_table);
  EXPECT_NE(cow.leaf_table_of(2, 600), pinned_table);
  PteView child = *cow.pte_view(2, 600);
  EXPECT_TRUE(child.writable && child.exclusive);
  EXPECT_NE(child.frame, cow.pte_view(1, 600)->frame);
  EXPECT_EQ(cow.apply(Op::write(1, 600, 9)), Outcome::wrote(Fault::None));
  EXPECT_EQ(cow.apply(Op::read(2, 600)), Outcome::read(8));
  EXPECT_EQ(cow.apply(Op::unpin(1)), Outcome::read(9));
  // The rest of the eagerly forked table is COW as usual.
  EXPECT_EQ(cow.pte_view(2, 601)->frame, cow.pte_view(1, 601)->frame);
  EXPECT_TRUE(cow.pte_view(2, 601)->cow);
}

TEST(SharedTables, ForkCostsTablesNotPages) {
  Config config{2048, 2048, 8, 2};  // 4 leaf tables
  FastCow cow = shared(config);
  std::size_t one = cow.page_table_bytes();
  EXPECT_EQ(one, (3u + 4u) * 4096);
  cow.apply(Op::fork(1));
  EXPECT_EQ(cow.page_table_bytes(), one + 3u * 4096) << "the child has only its upper levels";
  FastCow eager(config, FastOptions{ForkMode::Eager, true, Mutation::None});
  eager.apply(Op::fork(1));
  EXPECT_EQ(eager.page_table_bytes(), 2 * one);
}

}  // namespace
}  // namespace cow::fast
