// Reading .cow files that are wrong, hostile or not files at all: each is a
// CowParseError naming the place, promptly, in text safe for a terminal.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "checker/cow_file.h"

namespace cow {
namespace {

namespace fs = std::filesystem;

const std::string kHead = "cowcheck 1\nimpl model\n";

std::string error_of(std::string_view text) {
  try {
    parse_cow(text, "t.cow");
  } catch (const CowParseError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string read_error_of(const fs::path& path) {
  try {
    read_cow(path);
  } catch (const CowParseError& e) {
    return e.what();
  }
  return "(no error)";
}

bool has_control_bytes(std::string_view text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

class CowParseFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("cowcheck-parse-" +
            std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(CowParseFiles, AFifoIsRefusedWithoutWaitingForAWriter) {
  fs::path fifo = dir_ / "pipe.cow";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_EQ(read_error_of(fifo),
            fifo.string() + ": not a regular file (a .cow file is a text file)");
}

TEST(CowParse, ADeviceIsRefusedNotReadUntilMemoryRunsOut) {
  EXPECT_EQ(read_error_of("/dev/zero"),
            "/dev/zero: not a regular file (a .cow file is a text file)");
}

TEST_F(CowParseFiles, AMissingFileGivesItsNameAndTheReasonAndNoLineZero) {
  fs::path missing = dir_ / "missing.cow";
  EXPECT_EQ(read_error_of(missing), missing.string() + ": cannot open: No such file or directory");
  EXPECT_EQ(read_error_of(dir_),
            dir_.string() + ": not a regular file (a .cow file is a text file)");
}

TEST_F(CowParseFiles, AFileLargerThanTheBoundIsRefusedBeforeItIsRead) {
  fs::path big = dir_ / "big.cow";
  std::ofstream(big).close();
  fs::resize_file(big, kMaxCowFileBytes + 1);
  EXPECT_EQ(read_error_of(big), big.string() + ": " + std::to_string(kMaxCowFileBytes + 1) +
                                    " bytes: larger than a .cow file may be (" +
                                    std::to_string(kMaxCowFileBytes) + " bytes)");
}

TEST_F(CowParseFiles, ARegularFileIsReadWhole) {
  fs::path file = dir_ / "ok.cow";
  std::ofstream(file) << kHead << "fork 1\nwrite 1 0 5\n";
  EXPECT_EQ(read_cow(file).ops.size(), 2u);
}

TEST(CowParse, TextOverTheBoundsIsRefusedWithItsLine) {
  EXPECT_EQ(error_of(kHead + "# " + std::string(kMaxCowLineBytes, 'x') + "\n"),
            "t.cow:3: line is longer than " + std::to_string(kMaxCowLineBytes) + " bytes");
  EXPECT_EQ(error_of(std::string(kMaxCowFileBytes + 1, '\n')),
            "t.cow: the file is larger than " + std::to_string(kMaxCowFileBytes) +
                " bytes: not a .cow file");
}

TEST(CowParse, AnUnknownConfigKeyIsCalledUnknownWhateverItsValue) {
  EXPECT_EQ(error_of(kHead + "config pages=2 colour=blue\n"),
            "t.cow:3: unknown config key 'colour' (expected pages, frames, procs, words, policy, "
            "oom, reuse or paging)");
}

TEST(CowParse, AConfigKeyGivenTwiceIsAnError) {
  EXPECT_EQ(error_of(kHead + "config pages=2 frames=8 pages=3\n"),
            "t.cow:3: config key 'pages' given twice");
  EXPECT_EQ(error_of(kHead + "config policy=mapcount policy=exclusive\n"),
            "t.cow:3: config key 'policy' given twice");
}

TEST(CowParse, NulAndEscapeBytesAreShownEscapedNeverRaw) {
  std::string nul = error_of(kHead + std::string("fo\0rk 1\n", 8));
  EXPECT_EQ(nul, "t.cow:3: control byte \\x00 in the line (a .cow file is text)");
  std::string escape = error_of(kHead + "invariant \x1b[2J\n");
  EXPECT_EQ(escape, "t.cow:3: control byte \\x1b in the line (a .cow file is text)");
  // A C1 control and a byte that is not UTF-8, in a word the message quotes.
  std::string c1 = error_of(kHead +
                            "invariant X\xc2\x9b"
                            "2J\xff\n");
  EXPECT_EQ(c1,
            "t.cow:3: unknown invariant 'X\\xc2\\x9b2J\\xff' (expected ISO, WP, REUSE, RC, DIFF, "
            "CRASH, HANG, OOM, EXIT or none)");
  EXPECT_FALSE(has_control_bytes(nul + escape + c1));
  // UTF-8 text is shown as it is.
  EXPECT_EQ(printable("café → ok"), "café → ok");
}

TEST(CowParse, TheFileNameIsEscapedToo) {
  try {
    parse_cow("", "evil\x1b]0;x\x07.cow");
    FAIL();
  } catch (const CowParseError& e) {
    EXPECT_EQ(std::string(e.what()),
              "evil\\x1b]0;x\\x07.cow:1: empty file: expected the header 'cowcheck 1'");
  }
}

TEST(CowParse, AQuotedImplMayHoldBlanksHashesQuotesAndBackslashes) {
  CowFile f =
      parse_cow("cowcheck 1\nimpl \"plugin:my libs/#1/lib\\\"x\\\\.so\"  # a comment\n", "t.cow");
  EXPECT_EQ(f.impl, "plugin:my libs/#1/lib\"x\\.so");
  EXPECT_EQ(f.impl_line, 2);
  EXPECT_EQ(error_of("cowcheck 1\nimpl \"plugin:a b\n"),
            "t.cow:2: a quoted word has no closing '\"'");
  EXPECT_EQ(error_of("cowcheck 1\nimpl \"plugin:a\\n\"\n"),
            "t.cow:2: in a quoted word, '\\' must be followed by '\"' or '\\'");
  EXPECT_EQ(error_of("cowcheck 1\nimpl \"plugin:a\"b\n"),
            "t.cow:2: a quoted word must be followed by a blank or the end of the line");
}

TEST(CowParse, ARelativePluginIsFoundBesideTheFile) {
  EXPECT_EQ(resolve_file_impl("plugin:../build/plugins/libx.so", "cases/found/x.cow"),
            "plugin:cases/build/plugins/libx.so");
  EXPECT_EQ(resolve_file_impl("plugin:libx.so", "x.cow"), "plugin:./libx.so");
  EXPECT_EQ(resolve_file_impl("plugin:a b/#1.so", "/tmp/w/x.cow"), "plugin:/tmp/w/a b/#1.so");
  EXPECT_EQ(resolve_file_impl("plugin:/abs/libx.so", "cases/x.cow"), "plugin:/abs/libx.so");
  EXPECT_EQ(resolve_file_impl("mutant:copy-always", "cases/x.cow"), "mutant:copy-always");
  EXPECT_EQ(resolve_file_impl("zoo:calls-exit", "cases/x.cow"), "zoo:calls-exit");
}

TEST(CowParse, LinesCountFromOne) {
  EXPECT_EQ(error_of("cowcheck 2\n"),
            "t.cow:1: unsupported .cow version 2 (this cowcheck reads version 1)");
}

}  // namespace
}  // namespace cow
