// Runs every command of README.md and docs/tutorial.md, as a reader would
// type it, in a scratch copy of the tracked files (with this build reachable
// as build/), and checks that each exits with the status its document gives
// ("# exit N" after it, else 0) and that afterwards no tracked file changed
// and no file appeared that .gitignore does not cover: README commands never
// rewrite tracked files. Each README command runs in a fresh copy (the README
// says each runs from the root of a clone); the tutorial's steps build on
// each other, so it runs as one sequence in one copy, stopping at the first
// failure.
//
// A few commands cannot run inside ctest as written; kSpecialCommands says
// which and why, and a test checks that each still appears in a document.
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "doc_commands.h"
#include "scratch_clone.h"

namespace cowcheck::docs {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = COWCHECK_SOURCE_DIR;
const fs::path kBinaryDir = fs::path(COWCHECK_BINARY).parent_path();

struct SpecialCommand {
  enum Action { kSkip, kReplace, kRunIfPresent };
  std::string command;  // as documented, without its comment
  Action action;
  std::string detail;  // kReplace: what runs instead; kRunIfPresent: the build's file it needs
  std::string reason;
};

const std::vector<SpecialCommand> kSpecialCommands = {
    {"scripts/main", SpecialCommand::kReplace, "scripts/main --no-build",
     "its first step rebuilds build/, the build this test runs from; --no-build runs the same "
     "checks on that build"},
    {"scripts/test", SpecialCommand::kSkip, "", "it runs this test suite (recursion)"},
    {"scripts/install-deps", SpecialCommand::kSkip, "",
     "it installs Debian packages as root; the build running this test already has them"},
    {"cmake --preset release -G Ninja && cmake --build --preset release && ctest --preset release",
     SpecialCommand::kSkip, "", "it builds and tests this tree (recursion)"},
    {"cmake --preset asan -G Ninja && cmake --build --preset asan && ctest --preset asan",
     SpecialCommand::kSkip, "", "it builds and tests this tree (recursion)"},
    {"build/cowcheck bench", SpecialCommand::kRunIfPresent, "cowcheck-bench",
     "cowcheck-bench is built only with COWCHECK_BENCH=ON (the asan preset turns it off)"},
};

const SpecialCommand* special(const DocCommand& c) {
  for (const auto& s : kSpecialCommands)
    if (s.command == c.command) return &s;
  return nullptr;
}

bool not_run(const SpecialCommand* s) {
  return s && (s->action == SpecialCommand::kSkip ||
               (s->action == SpecialCommand::kRunIfPresent && !fs::exists(kBinaryDir / s->detail)));
}

// One ctest case: the commands that share a scratch copy.
struct DocUnit {
  std::string name;
  std::vector<DocCommand> commands;
};

void PrintTo(const DocUnit& unit, std::ostream* os) { *os << unit.name; }

std::string test_name(std::string text) {
  for (char& c : text)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return text;
}

std::vector<DocUnit> doc_units() {
  std::vector<DocUnit> units;
  for (const DocCommand& c : read_doc_commands(kSource, "README.md"))
    units.push_back({test_name(c.doc + "_line_" + std::to_string(c.line)), {c}});
  units.push_back({test_name("docs/tutorial.md"), read_doc_commands(kSource, "docs/tutorial.md")});
  units.push_back({test_name("docs/xv6.md"), read_doc_commands(kSource, "docs/xv6.md")});
  return units;
}

std::string tail(const std::string& text, std::size_t lines) {
  std::size_t pos = text.size();
  while (lines-- > 0 && pos > 0) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

class DocCommands : public ::testing::TestWithParam<DocUnit> {};

TEST_P(DocCommands, ExitAsDocumentedAndChangeNoTrackedFile) {
  const DocUnit& unit = GetParam();
  ASSERT_FALSE(unit.commands.empty());
  std::string skipped;
  bool runs_any = false;
  for (const DocCommand& c : unit.commands) {
    const SpecialCommand* s = special(c);
    if (not_run(s))
      skipped += c.command + ": " + s->reason + "\n";
    else
      runs_any = true;
  }
  if (!runs_any) GTEST_SKIP() << "not run inside ctest:\n" << skipped;

  ScratchClone clone(kSource, kBinaryDir);
  for (const DocCommand& c : unit.commands) {
    std::string where = c.doc + ":" + std::to_string(c.line);
    std::string command = c.text;
    if (const SpecialCommand* s = special(c)) {
      if (not_run(s)) {
        std::printf("%s: not run: %s (%s)\n", where.c_str(), c.command.c_str(), s->reason.c_str());
        continue;
      }
      if (s->action == SpecialCommand::kReplace) {
        std::printf("%s: %s runs as %s: %s\n", where.c_str(), c.command.c_str(), s->detail.c_str(),
                    s->reason.c_str());
        command = s->detail;
      }
    }
    auto start = std::chrono::steady_clock::now();
    CommandResult r = clone.run(command);
    std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    std::printf("%s: exit %d in %.1f s wall: %s\n", where.c_str(), r.status, took.count(),
                c.command.c_str());
    std::fflush(stdout);
    if (r.status != c.expected_status) {
      ADD_FAILURE() << where << ": `" << c.command << "` exited " << r.status << "; the document "
                    << "says " << c.expected_status << " (write \"# exit N\" after a command "
                    << "that is meant to fail)\nits output ends:\n"
                    << tail(r.output, 40);
      break;  // later commands of a sequence depend on this one
    }
  }
  EXPECT_EQ(clone.changes(), "")
      << "after the commands of " << unit.name << ", the scratch copy's git status lists the "
      << "files above: a documented command changed a tracked file or left one that .gitignore "
      << "does not cover";
}

INSTANTIATE_TEST_SUITE_P(Docs, DocCommands, ::testing::ValuesIn(doc_units()),
                         [](const auto& info) { return info.param.name; });

TEST(DocCommandTable, EverySpecialCommandIsStillDocumented) {
  std::vector<DocCommand> all = read_doc_commands(kSource, "README.md");
  for (const DocCommand& c : read_doc_commands(kSource, "docs/tutorial.md")) all.push_back(c);
  for (const DocCommand& c : read_doc_commands(kSource, "docs/xv6.md")) all.push_back(c);
  for (const SpecialCommand& s : kSpecialCommands) {
    bool found = false;
    for (const DocCommand& c : all) found = found || c.command == s.command;
    EXPECT_TRUE(found) << "kSpecialCommands names `" << s.command
                       << "`, which no document runs any more: remove it";
  }
}

// The check of tracked files must see what it is there to see.
TEST(ScratchClone, SeesAChangedTrackedFileAndANewFileButNotIgnoredOnes) {
  ScratchClone clone(kSource, kBinaryDir);
  EXPECT_EQ(clone.changes(), "");
  EXPECT_EQ(clone.run("test -x build/cowcheck && test \"$HOME\" = '" + clone.home().string() + "'")
                .status,
            0);
  EXPECT_EQ(clone.run("mkdir -p build-extra && touch build-extra/x").status, 0);
  EXPECT_EQ(clone.changes(), "") << "build*/ is git-ignored";
  EXPECT_EQ(clone.run("echo more >> README.md && touch steps.svg").status, 0);
  EXPECT_EQ(clone.changes(), " M README.md\n?? steps.svg\n");
  EXPECT_EQ(clone.run("exit 3").status, 3);
}

TEST(DocCommandParser, ReadsShellBlocksExitCommentsAndContinuations) {
  const std::string markdown =
      "Text `not a command`.\n"
      "```sh\n"
      "# a comment line\n"
      "build/cowcheck check --impl model   # exit 0: passes\n"
      "\n"
      "build/cowcheck check --impl mutant:copy-always  #exit 1, writes a file\n"
      "grep '#exit 2' x.txt\n"
      "build/cowcheck replay a.cow \\\n"
      "    --show   # exit 1\n"
      "```\n"
      "```\n"
      "output, not a command\n"
      "```\n"
      "```bash\n"
      "echo done\n"
      "```\n";
  std::vector<DocCommand> cmds = parse_doc_commands("x.md", markdown);
  ASSERT_EQ(cmds.size(), 5u);
  EXPECT_EQ(cmds[0].line, 4);
  EXPECT_EQ(cmds[0].command, "build/cowcheck check --impl model");
  EXPECT_EQ(cmds[0].expected_status, 0);
  EXPECT_EQ(cmds[1].line, 6);
  EXPECT_EQ(cmds[1].expected_status, 1);
  EXPECT_EQ(cmds[2].command, "grep '#exit 2' x.txt");
  EXPECT_EQ(cmds[2].expected_status, 0);
  EXPECT_EQ(cmds[3].line, 8);
  EXPECT_EQ(cmds[3].command, "build/cowcheck replay a.cow --show");
  EXPECT_EQ(cmds[3].expected_status, 1);
  EXPECT_EQ(cmds[4].command, "echo done");
}

TEST(DocCommandParser, AnUnclosedBlockIsAnError) {
  EXPECT_THROW(parse_doc_commands("x.md", "```sh\nls\n"), std::runtime_error);
  EXPECT_THROW(parse_doc_commands("x.md", "```sh\nls \\\n```\n"), std::runtime_error);
}

}  // namespace
}  // namespace cowcheck::docs
