#include "impl/fast/frame_arena.h"

#include <algorithm>
#include <stdexcept>

#include <gtest/gtest.h>

namespace cow::fast {
namespace {

TEST(FrameArena, StartsAllFreeAndAllocatesLowFramesFirst) {
  FrameArena arena(4, 4096);
  EXPECT_EQ(arena.size(), 4u);
  EXPECT_EQ(arena.free_count(), 4u);
  EXPECT_EQ(arena.frame_alloc(), Pfn{0});
  EXPECT_EQ(arena.frame_alloc(), Pfn{1});
  EXPECT_EQ(arena.refcount(0), 1u);
  EXPECT_EQ(arena.free_count(), 2u);
}

TEST(FrameArena, RunsOutWithoutThrowing) {
  FrameArena arena(1, 4096);
  EXPECT_TRUE(arena.frame_alloc());
  EXPECT_FALSE(arena.frame_alloc());
}

TEST(FrameArena, TheLastPutFreesAndPoisonsTheFrame) {
  FrameArena arena(2, 4096);
  Pfn f = *arena.frame_alloc();
  arena.write_word(f, 0, 7);
  arena.frame_get(f);
  arena.frame_put(f);
  EXPECT_EQ(arena.refcount(f), 1u);
  EXPECT_EQ(arena.read_word(f, 0), 7u);
  arena.frame_put(f);
  EXPECT_EQ(arena.refcount(f), 0u);
  EXPECT_EQ(arena.free_count(), 2u);
  for (std::uint32_t w = 0; w < kMaxWords; ++w) EXPECT_EQ(arena.read_word(f, w), kFramePoison);
  EXPECT_EQ(arena.frame_alloc(), f) << "the lowest free frame is next: the one just freed";
}

TEST(FrameArena, AllocationTakesTheLowestFreeFrame) {
  FrameArena arena(4, 4096);
  for (Pfn want = 0; want < 4; ++want) EXPECT_EQ(arena.frame_alloc(), want);
  arena.frame_put(2);
  arena.frame_put(0);
  arena.frame_put(3);
  EXPECT_EQ(arena.frame_alloc(), Pfn{0});
  EXPECT_EQ(arena.frame_alloc(), Pfn{2});
  EXPECT_EQ(arena.frame_alloc(), Pfn{3});
  EXPECT_FALSE(arena.frame_alloc());
}

TEST(FrameArena, BrokenRefcountsStopLoudly) {
  FrameArena arena(2, 4096);
  EXPECT_THROW(arena.frame_put(0), std::logic_error);
  EXPECT_THROW(arena.frame_get(1), std::logic_error);
}

TEST(FrameArena, ACopyMovesTheWholeFrame) {
  FrameArena arena(2, 4096);
  Pfn from = *arena.frame_alloc();
  Pfn to = *arena.frame_alloc();
  std::span<std::byte> src = arena.frame_bytes(from);
  for (std::size_t i = 0; i < src.size(); ++i) src[i] = static_cast<std::byte>(i * 7 + 1);
  arena.frame_copy(to, from);
  std::span<std::byte> dst = arena.frame_bytes(to);
  ASSERT_EQ(dst.size(), 4096u);
  EXPECT_TRUE(std::equal(src.begin(), src.end(), dst.begin()));
  EXPECT_EQ(arena.page_data(to), arena.page_data(from));
}

TEST(FrameArena, WordsLiveAtTheStartOfTheFrame) {
  FrameArena arena(1, 4096);
  Pfn f = *arena.frame_alloc();
  arena.frame_zero(f);
  arena.write_word(f, 1, 0x01020304);
  EXPECT_EQ(arena.page_data(f), (PageData{0, 0x01020304, 0, 0}));
  EXPECT_EQ(arena.frame_bytes(f)[4], static_cast<std::byte>(0x04));  // little-endian word 1
}

TEST(FrameArena, ALargeArenaIsMappedZeroFilled) {
  FrameArena arena(1024, 4096);  // 4 MiB
  EXPECT_TRUE(arena.zero_filled());
  Pfn f = *arena.frame_alloc();
  EXPECT_EQ(arena.page_data(f), PageData{});
}

TEST(FrameArena, ACopiedArenaIsIndependent) {
  FrameArena arena(2, 4096);
  Pfn f = *arena.frame_alloc();
  arena.write_word(f, 0, 1);
  FrameArena copy(arena);
  arena.write_word(f, 0, 2);
  EXPECT_EQ(copy.read_word(f, 0), 1u);
  EXPECT_EQ(copy.refcount(f), 1u);
  EXPECT_EQ(copy.free_count(), 1u);
}

}  // namespace
}  // namespace cow::fast
