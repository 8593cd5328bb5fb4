#include "impl/fast/geometry.h"

#include <gtest/gtest.h>

namespace cow::fast {
namespace {

TEST(Geometry, RadixIsTheX86Shape) {
  Geometry g = Geometry::radix(16);
  EXPECT_EQ(g.levels, 4u);
  EXPECT_EQ(g.entries(), 512u);
  EXPECT_EQ(g.page_size(), 4096u);
  EXPECT_EQ(g.frames, 16u);
  EXPECT_EQ(g.root_level(), 3u);
  EXPECT_EQ(g.shift[0], 0u);
  EXPECT_EQ(g.shift[1], 9u);
  EXPECT_EQ(g.shift[2], 18u);
  EXPECT_EQ(g.shift[3], 27u);
  EXPECT_EQ(g.max_pages(), std::uint64_t{1} << 36);
}

TEST(Geometry, IndexTakesNineBitsALevel) {
  Geometry g = Geometry::radix(0);
  Vpn vpn = (5u << 27) | (4u << 18) | (3u << 9) | 2u;
  EXPECT_EQ(g.index(0, vpn), 2u);
  EXPECT_EQ(g.index(1, vpn), 3u);
  EXPECT_EQ(g.index(2, vpn), 4u);
  EXPECT_EQ(g.index(3, vpn), 5u);
  EXPECT_EQ(g.index(0, 511), 511u);
  EXPECT_EQ(g.index(0, 512), 0u);
  EXPECT_EQ(g.index(1, 512), 1u);
}

TEST(Geometry, EntriesBelowCountsOnlyEntriesThatTranslateAPage) {
  Geometry g = Geometry::radix(0);
  EXPECT_EQ(g.entries_below(0, 0, 4), 4u);
  EXPECT_EQ(g.entries_below(0, 0, 1000), 512u);
  EXPECT_EQ(g.entries_below(0, 512, 1000), 488u);
  EXPECT_EQ(g.entries_below(1, 0, 4), 1u);
  EXPECT_EQ(g.entries_below(1, 0, 512), 1u);
  EXPECT_EQ(g.entries_below(1, 0, 513), 2u);
  EXPECT_EQ(g.entries_below(1, 0, 262144), 512u);
  EXPECT_EQ(g.entries_below(2, 0, 262144), 1u);
  EXPECT_EQ(g.entries_below(3, 0, 262144), 1u);
  EXPECT_EQ(g.entries_below(0, 1024, 1000), 0u);
}

TEST(Geometry, EntryAndLeafTableBases) {
  Geometry g = Geometry::radix(0);
  EXPECT_EQ(g.entry_base(1, 0, 3), 3u * 512);
  EXPECT_EQ(g.entry_base(2, 512u * 512, 1), 2u * 512 * 512);
  EXPECT_EQ(g.leaf_table_base(0), 0u);
  EXPECT_EQ(g.leaf_table_base(511), 0u);
  EXPECT_EQ(g.leaf_table_base(513), 512u);
}

}  // namespace
}  // namespace cow::fast
