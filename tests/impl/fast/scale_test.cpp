// The fast implementation at scale: 1 GiB address spaces (262,144 pages) and
// fork chains 1000 deep, with page tables near 8 bytes per mapped page. Each
// test must stay well under 10 s of CPU time under ASan.
#include <ctime>

#include <gtest/gtest.h>

#include "impl/fast/fast_cow.h"

namespace cow::fast {
namespace {

constexpr std::uint32_t kGiBPages = 262144;  // 1 GiB of 4 KiB pages

double cpu_seconds(std::clock_t since) {
  return static_cast<double>(std::clock() - since) / CLOCKS_PER_SEC;
}

Value read(FastCow& cow, Pid pid, Vpn vpn) {
  Outcome o = cow.apply(Op::read(pid, vpn));
  EXPECT_EQ(o.status, Status::Ok);
  return o.value;
}

TEST(Scale, EagerForkOfOneGiB) {
  std::clock_t start = std::clock();
  FastCow cow(Config{kGiBPages, kGiBPages + 64, 4, 2}, {ForkMode::Eager, true, Mutation::None});
  // 512 leaf tables and one table for each level above: 8 bytes a page.
  EXPECT_EQ(cow.page_table_bytes(), (512u + 3u) * 4096);
  cow.apply(Op::write(1, kGiBPages - 1, 7));
  ASSERT_EQ(cow.apply(Op::fork(1)), Outcome::forked(2));
  EXPECT_EQ(cow.page_table_bytes(), 2u * (512u + 3u) * 4096);
  double bytes_per_page = static_cast<double>(cow.page_table_bytes()) / (2.0 * kGiBPages);
  EXPECT_LT(bytes_per_page, 8.1);
  EXPECT_EQ(cow.frame_refcount(cow.pte_view(2, 12345)->frame), 2u);
  EXPECT_EQ(cow.apply(Op::write(2, kGiBPages - 1, 8)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(cow.apply(Op::write(1, kGiBPages - 1, 9)), Outcome::wrote(Fault::CowReuse));
  EXPECT_EQ(read(cow, 1, kGiBPages - 1), 9u);
  EXPECT_EQ(read(cow, 2, kGiBPages - 1), 8u);
  EXPECT_EQ(cow.free_frames(), 64u - 1u);
  cow.apply(Op::exit(2));
  EXPECT_EQ(cow.free_frames(), 64u);
  EXPECT_EQ(cow.frame_refcount(cow.pte_view(1, 12345)->frame), 1u);
  EXPECT_LT(cpu_seconds(start), 10.0);
}

TEST(Scale, SharedTablesForkChainOf1000OverOneGiB) {
  std::clock_t start = std::clock();
  FastCow cow(Config{kGiBPages, kGiBPages + 64, 1001, 2},
              {ForkMode::SharedTables, true, Mutation::None});
  cow.apply(Op::write(1, 0, 1));
  cow.apply(Op::write(1, kGiBPages - 1, 2));
  TableId first_table = *cow.leaf_table_of(1, 0);
  Pid youngest = 1;
  for (int depth = 1; depth <= 1000; ++depth) {
    Outcome o = cow.apply(Op::fork(youngest));
    ASSERT_EQ(o.status, Status::Ok) << "depth " << depth;
    youngest = o.child;
  }
  EXPECT_EQ(youngest, 1001u);
  EXPECT_EQ(cow.table_refcount(first_table), 1001u);
  // Each child holds only its three upper-level tables; the leaf tables are shared.
  EXPECT_EQ(cow.page_table_bytes(), (512u + 3u * 1001u) * 4096);
  EXPECT_EQ(read(cow, youngest, 0), 1u);
  EXPECT_EQ(read(cow, youngest, kGiBPages - 1), 2u);
  EXPECT_EQ(cow.apply(Op::write(youngest, 0, 3)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(cow.apply(Op::write(1, kGiBPages - 1, 4)), Outcome::wrote(Fault::CowCopy));
  EXPECT_EQ(cow.table_refcount(first_table), 1000u);
  EXPECT_EQ(read(cow, youngest, 0), 3u);
  EXPECT_EQ(read(cow, 500, 0), 1u);
  EXPECT_EQ(read(cow, 500, kGiBPages - 1), 2u);
  EXPECT_EQ(read(cow, 1, kGiBPages - 1), 4u);
  EXPECT_EQ(cow.free_frames(), 64u - 2u);
  for (Pid pid = 1; pid < youngest; ++pid) ASSERT_EQ(cow.apply(Op::exit(pid)), Outcome::ok());
  EXPECT_EQ(cow.free_frames(), 64u) << "one frame a page for the last process";
  EXPECT_EQ(read(cow, youngest, 0), 3u);
  EXPECT_EQ(read(cow, youngest, kGiBPages - 1), 2u);
  EXPECT_EQ(cow.apply(Op::write(youngest, 7, 5)), Outcome::wrote(Fault::CowReuse))
      << "the last sharer reclaims its tables";
  EXPECT_EQ(cow.free_frames(), 64u);
  cow.apply(Op::exit(youngest));
  EXPECT_EQ(cow.free_frames(), kGiBPages + 64u);
  EXPECT_EQ(cow.page_table_bytes(), 0u);
  EXPECT_LT(cpu_seconds(start), 10.0);
}

TEST(Scale, EagerForkChainOf1000) {
  std::clock_t start = std::clock();
  constexpr std::uint32_t kPages = 512;
  FastCow cow(Config{kPages, kPages + 1024, 1001, 2}, {ForkMode::Eager, true, Mutation::None});
  Pid youngest = 1;
  for (int depth = 1; depth <= 1000; ++depth) {
    ASSERT_EQ(cow.apply(Op::write(youngest, youngest % kPages, youngest)).status, Status::Ok);
    Outcome o = cow.apply(Op::fork(youngest));
    ASSERT_EQ(o.status, Status::Ok) << "depth " << depth;
    youngest = o.child;
  }
  EXPECT_EQ(cow.live_processes(), 1001u);
  EXPECT_EQ(cow.page_table_bytes(), 1001u * 4u * 4096);
  for (Pid pid = 1; pid < youngest; pid += 37) {
    EXPECT_EQ(read(cow, pid, pid % kPages), pid);
    EXPECT_EQ(read(cow, youngest, pid % kPages), pid + kPages <= 1000 ? pid + kPages : pid)
        << "the youngest sees the last write before its fork";
  }
  for (Pid pid = youngest; pid >= 1; --pid) ASSERT_EQ(cow.apply(Op::exit(pid)), Outcome::ok());
  EXPECT_EQ(cow.free_frames(), kPages + 1024u);
  EXPECT_EQ(cow.page_table_bytes(), 0u);
  EXPECT_LT(cpu_seconds(start), 10.0);
}

}  // namespace
}  // namespace cow::fast
