#include "checker/cow_file.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace cow {
namespace {

CowFile sample() {
  CowFile f;
  f.impl = "mutant:parent-left-writable";
  f.config = Config{.pages = 3, .frames = 9, .procs = 5, .words = 2};
  f.invariant = InvariantId::WP;
  f.ops = {Op::fork(1), Op::write(1, 2, 7, 1), Op::read(2, 0), Op::exit(2)};
  f.notes = {"found by: a test"};
  f.op_comments = {"ok child=2", "ok", "", "ok"};
  return f;
}

TEST(CowFile, FormatThenParseRoundTrips) {
  std::string text = format_cow(sample());
  CowFile back = parse_cow(text, "sample.cow");
  EXPECT_EQ(back.impl, sample().impl);
  EXPECT_EQ(back.config, sample().config);
  EXPECT_EQ(back.invariant, InvariantId::WP);
  EXPECT_EQ(back.ops, sample().ops);
  EXPECT_EQ(back.impl_line, 3);
  EXPECT_EQ(format_cow(back), text);
}

TEST(CowFile, TheHeaderSaysVersionAndTheBodyOneOpALine) {
  std::string text = format_cow(sample());
  EXPECT_EQ(text.rfind("cowcheck 1\n", 0), 0u);
  EXPECT_NE(text.find("\nwrite 1 2 7 1   # ok\n"), std::string::npos);
  EXPECT_NE(text.find("\ninvariant WP\n"), std::string::npos);
}

TEST(CowFile, DefaultsAndCommentsAreAccepted) {
  CowFile f = parse_cow(
      "# a hand-written scenario\ncowcheck 1\n\nimpl model\n  fork 1 # the child\n"
      "write 2 0 5\t\r\n",
      "hand.cow");
  EXPECT_EQ(f.config, Config{});
  EXPECT_EQ(f.invariant, std::nullopt);
  ASSERT_EQ(f.ops.size(), 2u);
  EXPECT_EQ(f.ops[1], Op::write(2, 0, 5));
}

struct Malformed {
  const char* text;
  const char* error;  // "file:line: ..." prefix and a fragment of the reason
};

class CowFileErrors : public ::testing::TestWithParam<Malformed> {};

TEST_P(CowFileErrors, NameTheFileTheLineAndTheReason) {
  try {
    parse_cow(GetParam().text, "bad.cow");
    FAIL() << "parsed: " << GetParam().text;
  } catch (const CowParseError& e) {
    EXPECT_NE(std::string(e.what()).find(GetParam().error), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Parser, CowFileErrors,
    ::testing::Values(
        Malformed{"", "bad.cow:1: empty file"},
        Malformed{"fork 1\n", "bad.cow:1: expected the header"},
        Malformed{"cowcheck 2\nimpl model\n", "bad.cow:1: unsupported .cow version 2"},
        Malformed{"cowcheck 1\nfork 1\n", "missing 'impl NAME'"},
        Malformed{"cowcheck 1\nimpl model\nfrok 1\n", "bad.cow:3: unknown op or directive 'frok'"},
        Malformed{"cowcheck 1\nimpl model\nwrite 1 0\n",
                  "bad.cow:3: 'write' takes 3 or 4 arguments"},
        Malformed{"cowcheck 1\nimpl model\nmmap 1 0 1 private\n",
                  "bad.cow:3: mapping kind 'private' is not one of"},
        Malformed{"cowcheck 1\nimpl model\npin 1 0 wr\n",
                  "bad.cow:3: pin mode 'wr' is not ro or rw"},
        Malformed{"cowcheck 1\nimpl model\nunpin\n", "bad.cow:3: 'unpin' takes 1 or 2 arguments"},
        Malformed{"cowcheck 1\nimpl model\nconfig policy=linux\n",
                  "bad.cow:3: policy 'linux' is not mapcount"},
        Malformed{"cowcheck 1\nimpl model\nconfig oom=panic\n",
                  "bad.cow:3: oom 'panic' is not error or kill"},
        Malformed{"cowcheck 1\nimpl model\nconfig reuse=never\n",
                  "bad.cow:3: reuse 'never' is not required or optional"},
        Malformed{"cowcheck 1\nimpl model\nfork 1 2\n", "bad.cow:3: 'fork' takes 1 argument"},
        Malformed{"cowcheck 1\nimpl model\nread 1 x\n", "bad.cow:3: vpn 'x' is not a non-negative"},
        Malformed{"cowcheck 1\nimpl model\nread -1 0\n", "bad.cow:3: pid '-1' is not"},
        Malformed{"cowcheck 1\nimpl model\nfork 99999999999\n",
                  "bad.cow:3: pid '99999999999' is out of range"},
        Malformed{"cowcheck 1\nimpl model\nimpl model\n", "bad.cow:3: 'impl' given twice"},
        Malformed{"cowcheck 1\nimpl model\nfork 1\nconfig pages=2\n",
                  "bad.cow:4: 'config' must come before"},
        Malformed{"cowcheck 1\nimpl model\nconfig pages=2 colour=3\n",
                  "bad.cow:3: unknown config key 'colour'"},
        Malformed{"cowcheck 1\nimpl model\nconfig pages\n",
                  "bad.cow:3: config item 'pages' is not KEY=VALUE"},
        Malformed{"cowcheck 1\nimpl model\nconfig pages=8 frames=4\n",
                  "bad.cow:3: bad config: frames must be at least pages"},
        Malformed{"cowcheck 1\nimpl model\ninvariant XYZ\n", "bad.cow:3: unknown invariant 'XYZ'"},
        Malformed{"cowcheck 1\nimpl\n", "bad.cow:2: 'impl' takes 1 argument"}));

TEST(CowFile, EveryOpAndPolicyRoundTrips) {
  CowFile f;
  f.config.policy = ReusePolicy::MapCount;
  f.config.oom = OomPolicy::Kill;
  f.config.reuse = ReuseRule::Optional;
  f.ops = {Op::exec(1),         Op::vfork(1),      Op::mmap(1, 0, 2, MapKind::SharedFile),
           Op::munmap(1, 1, 1), Op::swapout(1, 0), Op::pin_page(1, 0, true),
           Op::pin_page(1, 1),  Op::unpin(2, 1),   Op::copyout(1, 0, 9, 1)};
  std::string text = format_cow(f);
  EXPECT_NE(
      text.find(
          "config pages=4 frames=8 procs=8 words=2 policy=mapcount oom=kill reuse=optional\n"),
      std::string::npos);
  EXPECT_NE(text.find("\nmmap 1 0 2 shared-file\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\npin 1 0 rw\npin 1 1\nunpin 2 1\n"), std::string::npos) << text;
  CowFile back = parse_cow(text, "all.cow");
  EXPECT_EQ(back.config, f.config);
  EXPECT_EQ(back.ops, f.ops);
}

TEST(CowFile, ReadingAMissingFileIsAParseErrorNotACrash) {
  EXPECT_THROW(read_cow("/nonexistent/x.cow"), CowParseError);
}

RC_GTEST_PROP(CowFile, AnyTextEitherParsesOrIsRejectedCleanly, (const std::string& body)) {
  for (const std::string& text : {body, "cowcheck 1\nimpl model\n" + body}) {
    try {
      parse_cow(text, "fuzz.cow");
    } catch (const CowParseError& e) {
      RC_ASSERT(std::string(e.what()).rfind("fuzz.cow:", 0) == 0);
    }
  }
}

TEST(CowFile, WriteIsAtomicAndLeavesNoTemporary) {
  auto dir = std::filesystem::temp_directory_path() / "cowcheck-cow-file-test";
  std::filesystem::remove_all(dir);
  auto path = dir / "nested" / cow_file_name("mutant:x");
  write_cow_atomic(path, sample());
  write_cow_atomic(path, sample());
  EXPECT_EQ(read_cow(path).ops, sample().ops);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(path.parent_path()),
                          std::filesystem::directory_iterator{}),
            1);
  EXPECT_EQ(path.filename(), "mutant-x.cow");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cow
