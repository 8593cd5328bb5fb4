#include "impl/fast/pte_bits.h"

#include <gtest/gtest.h>

namespace cow::fast {
namespace {

TEST(PteBits, TheLayoutIsX86s) {
  EXPECT_EQ(kPtePresent, Pte{1});
  EXPECT_EQ(kPteWritable, Pte{2});
  EXPECT_EQ(kPteCow, Pte{1} << 9);  // one of the bits x86 leaves to software
  EXPECT_EQ(kPteFrameMask, Pte{0x000ffffffffff000});
  EXPECT_EQ(kPteFrameMask & (kPtePresent | kPteWritable | kPteCow), Pte{0});
}

TEST(PteBits, AnEmptyEntryIsNotPresent) {
  EXPECT_FALSE(pte_present(0));
  EXPECT_FALSE(pte_writable(0));
  EXPECT_FALSE(pte_cow(0));
}

TEST(PteBits, APageIsPresentWritableAndNotCow) {
  Pte pte = pte_make_page(1234);
  EXPECT_TRUE(pte_present(pte));
  EXPECT_TRUE(pte_writable(pte));
  EXPECT_FALSE(pte_cow(pte));
  EXPECT_EQ(pte_frame(pte), 1234u);
}

TEST(PteBits, TheFrameFieldHoldsEveryFrameNumber) {
  for (std::uint32_t frame : {0u, 1u, 511u, 262143u, 0xffffffffu}) {
    EXPECT_EQ(pte_frame(pte_make_page(frame)), frame);
    EXPECT_EQ(pte_frame(pte_make_table(frame)), frame);
  }
}

TEST(PteBits, WriteProtectSetsCowOnlyOnAWritablePage) {
  Pte pte = pte_write_protect(pte_make_page(7));
  EXPECT_FALSE(pte_writable(pte));
  EXPECT_TRUE(pte_cow(pte));
  EXPECT_EQ(pte_frame(pte), 7u);
  EXPECT_EQ(pte_write_protect(pte), pte) << "protecting twice changes nothing";
  Pte read_only = kPtePresent | (Pte{3} << kPteFrameShift);
  EXPECT_FALSE(pte_cow(pte_write_protect(read_only))) << "a page never writable is not cow";
}

TEST(PteBits, MakeWritableClearsCow) {
  Pte pte = pte_make_writable(pte_write_protect(pte_make_page(9)));
  EXPECT_TRUE(pte_writable(pte));
  EXPECT_FALSE(pte_cow(pte));
  EXPECT_EQ(pte, pte_make_page(9));
}

TEST(PteBits, WithFrameKeepsTheFlags) {
  Pte pte = pte_write_protect(pte_make_page(9));
  Pte moved = pte_with_frame(pte, 42);
  EXPECT_EQ(pte_frame(moved), 42u);
  EXPECT_EQ(moved & ~kPteFrameMask, pte & ~kPteFrameMask);
}

TEST(PteBits, ATableEntryIsWriteProtectedWithoutCow) {
  Pte entry = pte_table_write_protect(pte_make_table(5));
  EXPECT_TRUE(pte_present(entry));
  EXPECT_FALSE(pte_writable(entry));
  EXPECT_FALSE(pte_cow(entry));
  EXPECT_EQ(pte_frame(entry), 5u);
}

}  // namespace
}  // namespace cow::fast
