// The oracle reading a worker's answers from a buffer: a nonsense value is a
// CRASH naming the entry point and the value, a forged count is refused
// before anything is allocated for it; a view sent as a delta adds up to
// exactly the records sent, and one that leaves a record out is refused.
#include "impl/plugin/reply_decode.h"

#include <gtest/gtest.h>

#include "cowcheck/cow_abi.h"

#include <cstring>
#include <string>
#include <vector>

namespace cow::plugin {
namespace {

// Appends the bytes of each record, as the worker writes them.
struct Stream {
  std::vector<unsigned char> bytes;
  template <class T>
  Stream& put(const T& record) {
    std::size_t at = bytes.size();
    bytes.resize(at + sizeof record);
    std::memcpy(bytes.data() + at, &record, sizeof record);
    return *this;
  }
};

std::string rejection(const std::vector<unsigned char>& bytes, const Config& config,
                      std::vector<std::uint32_t> live, std::vector<std::uint32_t> pins = {}) {
  BufferReplySource source(bytes);
  try {
    read_snapshot(source, config, live, pins);
  } catch (const ImplementationStopped& e) {
    EXPECT_EQ(e.kind(), ImplementationStopped::Kind::Crash);
    return e.what();
  }
  return "";
}

Config small() {
  Config config;
  config.pages = 1;
  config.frames = 2;
  config.procs = 2;
  return config;
}

// A correct snapshot of pid 1 alone, nothing mapped, with `proc` changed.
Stream one_process(wire::ProcRecord proc) {
  Stream s;
  s.put(wire::Reply{0, 0, 0, 0, 0}).put(wire::ViewHeader{1, 1, 2, 0, 0, 2}).put(proc);
  s.put(wire::PteRecord{1, 0, 0, 0, 0, 0, 0, 0, 0xffffffffu});
  s.put(wire::FrameRecord{0, 0, 0, {}}).put(wire::FrameRecord{1, 0, 0, {}});
  return s;
}

TEST(ReplyDecode, ACorrectSnapshotIsRead) {
  Stream stream = one_process({1, 1, 1, 0});
  BufferReplySource source(stream.bytes);
  std::vector<std::uint32_t> live = {1};
  Snapshot snap = read_snapshot(source, small(), live, {});
  EXPECT_EQ(source.left(), 0u);
  ASSERT_EQ(snap.procs.size(), 1u);
  EXPECT_EQ(snap.ptes.size(), 1u);
  EXPECT_EQ(snap.free_frames, 2u);
}

TEST(ReplyDecode, AForgedCountIsRefusedBeforeAnyAllocation) {
  Stream s;
  s.put(wire::Reply{0, 0, 0, 0, 0}).put(wire::ViewHeader{1u << 25, 0, 2, 0, 0, 2});
  EXPECT_NE(rejection(s.bytes, small(), {1}).find("33554432 processes, 1 are live"),
            std::string::npos);
  Stream slots;
  slots.put(wire::Reply{0, 0, 0, 0, 0}).put(wire::ViewHeader{1, 1, 2, 1u << 30, 0, 2});
  EXPECT_NE(rejection(slots.bytes, small(), {1}).find("swap slots"), std::string::npos);
}

TEST(ReplyDecode, ASpaceThatDoesNotExistNamesProcAndTheValue) {
  std::string what = rejection(one_process({1, 1, 7, 0}).bytes, small(), {1});
  EXPECT_NE(what.find("proc(pid 1) returned space 7"), std::string::npos) << what;
}

TEST(ReplyDecode, PteFieldsOutsideTheAbiNamePteAndTheValue) {
  Stream s = one_process({1, 1, 1, 0});
  wire::PteRecord bad{1, 0, 1, 0, 0, 9, 1, 0, 0xffffffffu};  // frame 9 of 2
  std::memcpy(
      s.bytes.data() + sizeof(wire::Reply) + sizeof(wire::ViewHeader) + sizeof(wire::ProcRecord),
      &bad, sizeof bad);
  std::string what = rejection(s.bytes, small(), {1});
  EXPECT_NE(what.find("pte(pid 1, vpn 0) returned frame 9"), std::string::npos) << what;
}

TEST(ReplyDecode, AStatusOutsideTheAbiNamesTheEntryPoint) {
  BufferReplySource source(std::span<const unsigned char>{});
  try {
    decode_outcome(wire::Reply{42, 0, 0, 0, 0}, Op::fork(1), source);
    FAIL() << "accepted status 42";
  } catch (const ImplementationStopped& e) {
    EXPECT_NE(std::string(e.what()).find("fork() returned status 42"), std::string::npos)
        << e.what();
  }
}

TEST(ReplyDecode, AShortReplyIsAStopNotARead) {
  Stream s;
  s.put(wire::Reply{0, 0, 0, 0, 0});
  EXPECT_NE(rejection(s.bytes, small(), {1}).find("ended"), std::string::npos);
}

// ---- Views as deltas -----------------------------------------------------

Config two_pages() {
  Config config;
  config.pages = 2;
  config.frames = 2;
  config.procs = 2;
  config.words = 2;
  return config;
}

wire::PteRecord unmapped(std::uint32_t pid, std::uint32_t vpn) {
  return {pid, vpn, 0, 0, 0, 0, COW_MAP_NONE, 0, COW_NO_SLOT};
}

// pid 1 with both pages unmapped and both frames free: a first view.
Stream first_view() {
  Stream s;
  s.put(wire::ViewHeader{1, 2, 2, 0, 0, 2}).put(wire::ProcRecord{1, 1, 1, 0});
  s.put(unmapped(1, 0)).put(unmapped(1, 1));
  s.put(wire::FrameRecord{0, 0, 0, {}}).put(wire::FrameRecord{1, 0, 0, {}});
  return s;
}

void apply(ViewCopy& view, const Stream& s, std::vector<std::uint32_t> live) {
  BufferReplySource source(s.bytes);
  view.read(source, live, {});
  EXPECT_EQ(source.left(), 0u);
}

std::string view_rejection(ViewCopy& view, const Stream& s, std::vector<std::uint32_t> live) {
  BufferReplySource source(s.bytes);
  try {
    view.read(source, live, {});
  } catch (const ImplementationStopped& e) {
    return e.what();
  }
  return "";
}

TEST(ViewDelta, AChangeInAnyPteFieldIsSeen) {
  // Each field of pte(pid 1, vpn 1) changed alone, from a present,
  // writable private page on frame 0, is what the snapshot then shows.
  wire::PteRecord base{1, 1, 1, 1, 0, 0, COW_MAP_PRIVATE_ANON, 1, COW_NO_SLOT};
  std::vector<wire::PteRecord> changed(6, base);
  changed[0].writable = 0;
  changed[1].cow = 1;
  changed[2].frame = 1;
  changed[3].kind = COW_MAP_SHARED_ANON;
  changed[4].exclusive = 0;
  changed[5].present = 0, changed[5].slot = 2;
  for (const wire::PteRecord& after : changed) {
    ViewCopy view(two_pages());
    apply(view, first_view(), {1});
    Stream s;
    s.put(wire::ViewHeader{1, 1, 0, 0, 0, 1}).put(wire::ProcRecord{1, 1, 1, 0}).put(base);
    apply(view, s, {1});
    Stream delta;
    delta.put(wire::ViewHeader{1, 1, 0, 0, 0, 1}).put(wire::ProcRecord{1, 1, 1, 0}).put(after);
    apply(view, delta, {1});
    const PteView* pte = view.snapshot().find_pte(1, 1);
    ASSERT_NE(pte, nullptr);
    EXPECT_EQ(pte->present, after.present != 0);
    EXPECT_EQ(pte->writable, after.writable != 0);
    EXPECT_EQ(pte->cow, after.cow != 0);
    EXPECT_EQ(pte->exclusive, after.exclusive != 0);
    EXPECT_EQ(static_cast<std::uint32_t>(pte->kind), after.kind);
    EXPECT_EQ(pte->frame, after.present ? after.frame : kNoFrame);
    EXPECT_EQ(pte->slot, after.present ? kNoSlot : after.slot);
    // The page not in the delta keeps what the first view showed.
    const PteView* other = view.snapshot().find_pte(1, 0);
    ASSERT_NE(other, nullptr);
    EXPECT_FALSE(other->present);
  }
}

TEST(ViewDelta, AChangeInAnyFrameFieldIsSeen) {
  std::vector<wire::FrameRecord> changed(4, wire::FrameRecord{1, 1, 0, {5, 6, 0, 0}});
  changed[0].refcount = 2;
  changed[1].cache = 1;
  changed[2].contents[0] = 9;
  changed[3].contents[1] = 9;
  for (const wire::FrameRecord& after : changed) {
    ViewCopy view(two_pages());
    apply(view, first_view(), {1});
    Stream s;
    s.put(wire::ViewHeader{1, 0, 1, 0, 0, 1}).put(wire::ProcRecord{1, 1, 1, 0});
    s.put(wire::FrameRecord{1, 1, 0, {5, 6, 0, 0}});
    apply(view, s, {1});
    Stream delta;
    delta.put(wire::ViewHeader{1, 0, 1, 0, 0, 1}).put(wire::ProcRecord{1, 1, 1, 0}).put(after);
    apply(view, delta, {1});
    const FrameView* frame = view.snapshot().find_frame(1);
    ASSERT_NE(frame, nullptr);
    EXPECT_EQ(frame->refcount, after.refcount);
    EXPECT_EQ(frame->cache, after.cache != 0);
    EXPECT_EQ(frame->contents[0], after.contents[0]);
    EXPECT_EQ(frame->contents[1], after.contents[1]);
    EXPECT_EQ(view.snapshot().free_frames, 1u);
  }
}

TEST(ViewDelta, AFirstViewThatLeavesAFrameOutIsRefused) {
  Stream s;
  s.put(wire::ViewHeader{1, 2, 1, 0, 0, 2}).put(wire::ProcRecord{1, 1, 1, 0});
  s.put(unmapped(1, 0)).put(unmapped(1, 1)).put(wire::FrameRecord{0, 0, 0, {}});
  ViewCopy view(two_pages());
  EXPECT_NE(view_rejection(view, s, {1}).find("leaves out frame 1"), std::string::npos);
}

TEST(ViewDelta, ANewAddressSpaceMustShowEveryPage) {
  ViewCopy view(two_pages());
  apply(view, first_view(), {1});
  // pid 2 appears (a fork) with only vpn 0 shown.
  Stream s;
  s.put(wire::ViewHeader{2, 1, 0, 0, 0, 2}).put(wire::ProcRecord{1, 1, 1, 0});
  s.put(wire::ProcRecord{2, 1, 2, 0}).put(unmapped(2, 0));
  std::string what = view_rejection(view, s, {1, 2});
  EXPECT_NE(what.find("leaves out pte(pid 2, vpn 1)"), std::string::npos) << what;
  // With both pages it is read, and pid 1's pages stay as they were.
  ViewCopy again(two_pages());
  apply(again, first_view(), {1});
  Stream full;
  full.put(wire::ViewHeader{2, 2, 0, 0, 0, 2}).put(wire::ProcRecord{1, 1, 1, 0});
  full.put(wire::ProcRecord{2, 1, 2, 0}).put(unmapped(2, 0)).put(unmapped(2, 1));
  apply(again, full, {1, 2});
  EXPECT_EQ(again.snapshot().ptes.size(), 4u);
}

TEST(ViewDelta, AnEndedProcessTakesItsPagesAndAPteOutsideALiveSpaceIsRefused) {
  ViewCopy view(two_pages());
  apply(view, first_view(), {1});
  Stream fork;
  fork.put(wire::ViewHeader{2, 2, 0, 0, 0, 2}).put(wire::ProcRecord{1, 1, 1, 0});
  fork.put(wire::ProcRecord{2, 1, 2, 0}).put(unmapped(2, 0)).put(unmapped(2, 1));
  apply(view, fork, {1, 2});
  Stream exit;
  exit.put(wire::ViewHeader{1, 0, 0, 0, 0, 2}).put(wire::ProcRecord{1, 1, 1, 0});
  apply(view, exit, {1});
  EXPECT_EQ(view.snapshot().ptes.size(), 2u);
  Stream stray;
  stray.put(wire::ViewHeader{1, 1, 0, 0, 0, 2}).put(wire::ProcRecord{1, 1, 1, 0});
  stray.put(unmapped(2, 0));
  std::string what = view_rejection(view, stray, {1});
  EXPECT_NE(what.find("pid 2 vpn 0, which is no page of a live address space"), std::string::npos)
      << what;
}

}  // namespace
}  // namespace cow::plugin
