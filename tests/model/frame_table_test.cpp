#include "model/frame_table.h"

#include <stdexcept>

#include <gtest/gtest.h>

namespace cow::model {
namespace {

TEST(FrameTable, AllocatesLowestFirstUntilEmpty) {
  FrameTable frames(3);
  EXPECT_EQ(frames.frame_alloc(), 0u);
  EXPECT_EQ(frames.frame_alloc(), 1u);
  EXPECT_EQ(frames.frame_alloc(), 2u);
  EXPECT_EQ(frames.frame_alloc(), std::nullopt);
  EXPECT_EQ(frames.free_count(), 0u);
}

TEST(FrameTable, LastPutFreesAndPoisons) {
  FrameTable frames(2);
  Pfn f = *frames.frame_alloc();
  frames.set_word(f, 0, 5);
  frames.frame_get(f);
  frames.frame_put(f);
  EXPECT_EQ(frames.refcount(f), 1u);
  EXPECT_EQ(frames.contents(f)[0], 5u);
  frames.frame_put(f);
  EXPECT_EQ(frames.refcount(f), 0u);
  EXPECT_EQ(frames.contents(f), kPoisonPage);
  EXPECT_EQ(frames.free_count(), 2u);
}

TEST(FrameTable, UnderflowAndGetOfAFreeFramePanicLoudly) {
  FrameTable frames(1);
  EXPECT_THROW(frames.frame_put(0), std::logic_error);
  EXPECT_THROW(frames.frame_get(0), std::logic_error);
}

}  // namespace
}  // namespace cow::model
