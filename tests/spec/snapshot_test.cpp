#include "spec/snapshot.h"

#include <gtest/gtest.h>

namespace cow {
namespace {

Snapshot two_sharers(Pfn shared, Pfn other) {
  Snapshot s;
  s.total_frames = 8;
  s.free_frames = 6;
  s.ptes = {{1, 0, MapKind::PrivateAnon, true, false, true, false, shared},
            {1, 1, MapKind::PrivateAnon, true, true, false, false, other},
            {2, 0, MapKind::PrivateAnon, true, false, true, false, shared}};
  s.frames = {{std::min(shared, other), 1, {}}, {std::max(shared, other), 1, {}}};
  for (FrameView& f : s.frames) f.refcount = f.frame == shared ? 2 : 1;
  return s;
}

TEST(Snapshot, CanonicalizeRenamesFramesByFirstAppearance) {
  Snapshot a = canonicalize(two_sharers(5, 2));
  Snapshot b = canonicalize(two_sharers(0, 7));
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.ptes[0].frame, 0u);
  EXPECT_EQ(a.ptes[1].frame, 1u);
  EXPECT_EQ(a.frames[0].refcount, 2u);
}

TEST(Snapshot, CanonicalizeKeepsDifferentSharingApart) {
  Snapshot a = two_sharers(5, 2);
  Snapshot b = two_sharers(5, 2);
  b.ptes[2].frame = 2;  // pid 2 now shares the other frame
  EXPECT_NE(canonicalize(a), canonicalize(b));
}

TEST(Snapshot, FindsPtesAndFrames) {
  Snapshot s = two_sharers(5, 2);
  ASSERT_NE(s.find_pte(2, 0), nullptr);
  EXPECT_EQ(s.find_pte(2, 1), nullptr);
  EXPECT_EQ(s.refcount(5), 2u);
  EXPECT_EQ(s.refcount(3), 0u);
}

}  // namespace
}  // namespace cow
