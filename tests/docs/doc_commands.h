// The shell commands a Markdown document tells its reader to type: every
// line of every ```sh block, with the exit status the document promises.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace cowcheck::docs {

struct DocCommand {
  std::string doc;          // as given, e.g. "docs/tutorial.md"
  int line = 0;             // 1-based line of the command's first line
  std::string text;         // the command as typed, continuation lines joined, comment kept
  std::string command;      // text without its trailing comment, trimmed
  int expected_status = 0;  // from a trailing "# exit N" comment, else 0
};

// Parses Markdown text: lines of fenced blocks whose info string is "sh",
// "bash" or "shell"; comment-only and blank lines are not commands. A line
// ending in a backslash continues on the next. A trailing comment that
// starts with "exit N" (N a digit) sets expected_status.
std::vector<DocCommand> parse_doc_commands(const std::string& doc, const std::string& markdown);

// Reads root/doc and parses it; throws std::runtime_error if it cannot be read.
std::vector<DocCommand> read_doc_commands(const std::filesystem::path& root,
                                          const std::string& doc);

}  // namespace cowcheck::docs
