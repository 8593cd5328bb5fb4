#include "doc_commands.h"

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace cowcheck::docs {
namespace {

std::string trim(const std::string& s) {
  auto first = s.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

bool is_shell_fence(const std::string& info) {
  return info == "sh" || info == "bash" || info == "shell";
}

// The index of the '#' that starts a comment, outside quotes and not part
// of a word (bash's rule: '#' begins a comment only at the start of a word).
std::string::size_type comment_start(const std::string& line) {
  char quote = 0;
  for (std::string::size_type i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == '\\' && quote == '"')
        ++i;
      else if (c == quote)
        quote = 0;
    } else if (c == '\\') {
      ++i;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) {
      return i;
    }
  }
  return std::string::npos;
}

DocCommand make_command(const std::string& doc, int line, const std::string& text) {
  DocCommand cmd{doc, line, text, text, 0};
  if (auto hash = comment_start(text); hash != std::string::npos) {
    cmd.command = text.substr(0, hash);
    // "# exit N", N one digit and the end of a word.
    std::string comment = trim(text.substr(hash + 1));
    if (comment.size() >= 6 && comment.compare(0, 5, "exit ") == 0 &&
        std::isdigit(static_cast<unsigned char>(comment[5])) &&
        (comment.size() == 6 || !std::isalnum(static_cast<unsigned char>(comment[6]))))
      cmd.expected_status = comment[5] - '0';
  }
  cmd.command = trim(cmd.command);
  return cmd;
}

}  // namespace

std::vector<DocCommand> parse_doc_commands(const std::string& doc, const std::string& markdown) {
  std::vector<DocCommand> commands;
  std::istringstream in(markdown);
  std::string line;
  int number = 0;
  bool in_fence = false;
  bool shell = false;
  std::string pending;  // a command continued by a trailing backslash
  int pending_line = 0;
  while (std::getline(in, line)) {
    ++number;
    std::string t = trim(line);
    if (t.rfind("```", 0) == 0) {
      if (!in_fence)
        shell = is_shell_fence(trim(t.substr(3)));
      else if (!pending.empty())
        throw std::runtime_error(doc + ":" + std::to_string(pending_line) +
                                 ": a continued command runs past its block");
      in_fence = !in_fence;
      continue;
    }
    if (!in_fence || !shell) continue;
    if (pending.empty()) {
      if (t.empty() || t[0] == '#') continue;
      pending_line = number;
    }
    if (!t.empty() && t.back() == '\\') {
      pending += trim(t.substr(0, t.size() - 1)) + " ";
      continue;
    }
    pending += t;
    commands.push_back(make_command(doc, pending_line, pending));
    pending.clear();
  }
  if (in_fence) throw std::runtime_error(doc + ": a code block is never closed");
  return commands;
}

std::vector<DocCommand> read_doc_commands(const std::filesystem::path& root,
                                          const std::string& doc) {
  std::ifstream in(root / doc, std::ios::binary);
  if (!in) throw std::runtime_error((root / doc).string() + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_doc_commands(doc, text.str());
}

}  // namespace cowcheck::docs
