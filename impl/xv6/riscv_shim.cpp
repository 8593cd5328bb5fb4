#include "impl/xv6/riscv_shim.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "impl/xv6/lab_tree.h"

namespace cow::xv6 {

namespace {

constexpr std::string_view kShimDeclarations =
    "/* cowcheck: this header's inline assembly calls these shims instead. */\n"
    "unsigned long xv6_asm_read(const char *);\n"
    "void xv6_asm_write(const char *, unsigned long);\n"
    "void xv6_asm(const char *);\n";

bool identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

int line_of(std::string_view text, std::size_t at) {
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<long>(at), '\n'));
}

// Past a comment or a string or character literal starting at `i`, or `i`.
std::size_t skip_literal(std::string_view text, std::size_t i) {
  if (text.substr(i, 2) == "//") {
    std::size_t end = text.find('\n', i);
    return end == std::string_view::npos ? text.size() : end;
  }
  if (text.substr(i, 2) == "/*") {
    std::size_t end = text.find("*/", i + 2);
    return end == std::string_view::npos ? text.size() : end + 2;
  }
  if (text[i] == '"' || text[i] == '\'') {
    char quote = text[i];
    for (std::size_t j = i + 1; j < text.size(); ++j) {
      if (text[j] == '\\')
        ++j;
      else if (text[j] == quote)
        return j + 1;
    }
    return text.size();
  }
  return i;
}

// Where the keyword `asm` (or __asm__, __asm) starts at `i`, as a whole word.
std::size_t asm_keyword(std::string_view text, std::size_t i) {
  if (i > 0 && identifier_char(text[i - 1])) return 0;
  for (std::string_view word : {"__asm__", "__asm", "asm"})
    if (text.substr(i, word.size()) == word &&
        (i + word.size() == text.size() || !identifier_char(text[i + word.size()])))
      return word.size();
  return 0;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The statement's parts between its parentheses, split at the colons that
// are outside strings and parentheses: template, outputs, inputs, clobbers.
std::vector<std::string_view> operand_parts(std::string_view inside) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  int depth = 0;
  for (std::size_t i = 0; i < inside.size();) {
    std::size_t past = skip_literal(inside, i);
    if (past != i) {
      i = past;
      continue;
    }
    char c = inside[i];
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ':' && depth == 0) {
      parts.push_back(trim(inside.substr(start, i - start)));
      start = i + 1;
    }
    ++i;
  }
  parts.push_back(trim(inside.substr(start)));
  return parts;
}

// The C expression of the first operand in `"=r" (x), ...`: x.
std::string_view operand_expression(std::string_view operands) {
  std::size_t quote = operands.find('"');
  std::size_t open =
      operands.find('(', quote == std::string_view::npos ? 0 : skip_literal(operands, quote));
  if (open == std::string_view::npos) return {};
  int depth = 0;
  for (std::size_t i = open; i < operands.size(); ++i) {
    if (operands[i] == '(') ++depth;
    if (operands[i] == ')' && --depth == 0) return trim(operands.substr(open + 1, i - open - 1));
  }
  return {};
}

}  // namespace

std::string shim_inline_assembly(std::string_view text, std::string_view file) {
  std::string out(kShimDeclarations);
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t past = skip_literal(text, i);
    if (past != i) {
      out.append(text.substr(i, past - i));
      i = past;
      continue;
    }
    std::size_t keyword = asm_keyword(text, i);
    if (keyword == 0) {
      out += text[i++];
      continue;
    }
    std::size_t start = i;
    std::size_t j = i + keyword;
    // Qualifiers between the keyword and the parenthesis.
    for (;;) {
      while (j < text.size() && std::isspace(static_cast<unsigned char>(text[j]))) ++j;
      std::size_t word = j;
      while (j < text.size() && identifier_char(text[j])) ++j;
      if (word == j) break;
    }
    auto unreadable = [&](std::string_view why) {
      return LabError(
          fmt::format("kernel/{}:{}: cannot rewrite this inline assembly for the "
                      "host ({})",
                      file, line_of(text, start), why));
    };
    if (j >= text.size() || text[j] != '(') throw unreadable("no '(' after asm");
    std::size_t open = j;
    int depth = 0;
    std::size_t close = std::string_view::npos;
    for (std::size_t k = open; k < text.size();) {
      std::size_t after = skip_literal(text, k);
      if (after != k) {
        k = after;
        continue;
      }
      if (text[k] == '(') ++depth;
      if (text[k] == ')' && --depth == 0) {
        close = k;
        break;
      }
      ++k;
    }
    if (close == std::string_view::npos) throw unreadable("no closing ')'");
    std::size_t semicolon = close + 1;
    while (semicolon < text.size() && std::isspace(static_cast<unsigned char>(text[semicolon])))
      ++semicolon;
    if (semicolon >= text.size() || text[semicolon] != ';')
      throw unreadable("not a statement ending in ';'");
    std::vector<std::string_view> parts = operand_parts(text.substr(open + 1, close - open - 1));
    std::string_view templ = parts[0];
    if (templ.empty() || templ.front() != '"') throw unreadable("its template is not a string");
    std::string_view output = parts.size() > 1 ? operand_expression(parts[1]) : std::string_view{};
    std::string_view input = parts.size() > 2 ? operand_expression(parts[2]) : std::string_view{};
    if (!output.empty())
      out += fmt::format("{} = xv6_asm_read({});", output, templ);
    else if (!input.empty())
      out += fmt::format("xv6_asm_write({}, (unsigned long)({}));", templ, input);
    else
      out += fmt::format("xv6_asm({});", templ);
    i = semicolon + 1;
  }
  return out;
}

int first_inline_assembly(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    std::size_t past = skip_literal(text, i);
    if (past != i) {
      i = past;
      continue;
    }
    if (asm_keyword(text, i)) return line_of(text, i);
    ++i;
  }
  return 0;
}

}  // namespace cow::xv6
