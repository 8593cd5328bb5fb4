// The oracle reading a worker's answers from a buffer: a nonsense value is a
// CRASH naming the entry point and the value, a forged count is refused
// before anything is allocated for it.
#include "impl/plugin/reply_decode.h"

#include <gtest/gtest.h>

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
  s.put(wire::Reply{0, 0, 0, 0, 0}).put(wire::SnapshotHeader{1, 1, 2, 0, 0, 2}).put(proc);
  s.put(wire::PteRecord{1, 0, 0, 0, 0, 0, 0, 0, 0xffffffffu});
  s.put(wire::FrameRecord{}).put(wire::FrameRecord{});
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
  s.put(wire::Reply{0, 0, 0, 0, 0}).put(wire::SnapshotHeader{1u << 25, 0, 2, 0, 0, 2});
  EXPECT_NE(rejection(s.bytes, small(), {1}).find("33554432 processes, 1 were asked for"),
            std::string::npos);
  Stream slots;
  slots.put(wire::Reply{0, 0, 0, 0, 0}).put(wire::SnapshotHeader{1, 1, 2, 1u << 30, 0, 2});
  EXPECT_NE(rejection(slots.bytes, small(), {1}).find("swap slots"), std::string::npos);
}

TEST(ReplyDecode, ASpaceThatDoesNotExistNamesProcAndTheValue) {
  std::string what = rejection(one_process({1, 1, 7, 0}).bytes, small(), {1});
  EXPECT_NE(what.find("proc(pid 1) returned space 7"), std::string::npos) << what;
}

TEST(ReplyDecode, PteFieldsOutsideTheAbiNamePteAndTheValue) {
  Stream s = one_process({1, 1, 1, 0});
  wire::PteRecord bad{1, 0, 1, 0, 0, 9, 1, 0, 0xffffffffu};  // frame 9 of 2
  std::memcpy(s.bytes.data() + sizeof(wire::Reply) + sizeof(wire::SnapshotHeader) +
                  sizeof(wire::ProcRecord),
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

}  // namespace
}  // namespace cow::plugin
