#include "impl/fast/translation_cache.h"

#include <gtest/gtest.h>

namespace cow::fast {
namespace {

TEST(TranslationCache, MissesUntilFilled) {
  TranslationCache tlb;
  EXPECT_EQ(tlb.lookup(0), nullptr);
  tlb.fill(0, 5, true);
  const TranslationCache::Entry* hit = tlb.lookup(0);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->frame, 5u);
  EXPECT_TRUE(hit->writable);
  EXPECT_EQ(tlb.lookup(1), nullptr);
}

TEST(TranslationCache, FlushPageDropsOnlyThatPage) {
  TranslationCache tlb;
  tlb.fill(1, 5, false);
  tlb.fill(2, 6, false);
  tlb.flush_page(1);
  EXPECT_EQ(tlb.lookup(1), nullptr);
  EXPECT_NE(tlb.lookup(2), nullptr);
  tlb.flush_all();
  EXPECT_EQ(tlb.lookup(2), nullptr);
}

TEST(TranslationCache, APageThatSharesASlotEvictsTheOther) {
  TranslationCache tlb;
  tlb.fill(3, 1, false);
  tlb.fill(3 + 64, 2, false);
  EXPECT_EQ(tlb.lookup(3), nullptr);
  ASSERT_NE(tlb.lookup(3 + 64), nullptr);
  tlb.flush_page(3);  // not cached: the other page stays
  EXPECT_NE(tlb.lookup(3 + 64), nullptr);
}

}  // namespace
}  // namespace cow::fast
