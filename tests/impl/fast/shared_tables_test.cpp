// Shared-tables fork (On-Demand-Fork): fork shares leaf tables; the first
// write through one unshares it. What a program sees must not change.
#include <gtest/gtest.h>

#include "impl/fast/fast_cow.h"

namespace cow::fast {
namespace {

FastCow shared(const Config& config = Config{}) {
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
