#include "impl/xv6/lab_tree.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>

#include <fmt/format.h>

namespace cow::xv6 {

namespace fs = std::filesystem;

namespace {

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool is_number(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

fs::path kernel_folder(const fs::path& root) {
  if (fs::is_regular_file(root / "kernel" / "vm.c")) return root / "kernel";
  if (fs::is_regular_file(root / "vm.c")) return root;
  if (!fs::is_directory(root))
    throw LabError(fmt::format("{}: no such folder (give the lab's repository)", root.string()));
  throw LabError(fmt::format(
      "{}: no kernel/vm.c here: give the root of an xv6-riscv repository (the folder that holds "
      "kernel/)",
      root.string()));
}

// The COW bit: a `#define PTE_...` whose name says COW, in a header if the
// glue can include it, else its value from the .c file that defines it.
void find_cow_bit(Lab& lab, const LabOptions& options,
                  const std::vector<std::pair<fs::path, std::string>>& texts) {
  if (!options.cow_bit.empty()) {
    lab.cow_bit = is_number(options.cow_bit) ? fmt::format("(1L << {})", options.cow_bit)
                                             : fmt::format("({})", options.cow_bit);
    lab.found.push_back(fmt::format("COW bit: {} (--cow-bit)", lab.cow_bit));
    return;
  }
  static const std::regex define(
      R"(^[ \t]*#[ \t]*define[ \t]+(PTE_\w+)[ \t]+([^\n]*?)[ \t]*(//[^\n]*|/\*[^\n]*)?$)",
      std::regex::multiline);
  for (const auto& [path, text] : texts) {
    for (std::sregex_iterator it(text.begin(), text.end(), define), done; it != done; ++it) {
      std::string name = (*it)[1];
      if (lower(name).find("cow") == std::string::npos) continue;
      bool header = path.extension() == ".h";
      lab.cow_bit = header ? name : fmt::format("({})", (*it)[2].str());
      lab.found.push_back(fmt::format("COW bit: {} = {} (kernel/{})", name, (*it)[2].str(),
                                      path.filename().string()));
      return;
    }
  }
  throw LabError(fmt::format(
      "{}: no PTE bit whose name says COW (like #define PTE_COW (1L << 8)) in kernel/*.h, "
      "kalloc.c, vm.c or trap.c; name the bit your lab uses: --cow-bit 8 (a bit number) or "
      "--cow-bit PTE_RSW (a macro)",
      lab.kernel.string()));
}

bool names_a_count(const std::string& name) {
  std::string n = lower(name);
  if (n.find("ref") == std::string::npos && n.find("cnt") == std::string::npos &&
      n.find("count") == std::string::npos)
    return false;
  for (const char* verb : {"inc", "dec", "add", "sub", "set", "up", "down", "put", "drop", "free",
                           "alloc", "lock", "init"})
    if (n.find(verb) != std::string::npos) return false;
  return true;
}

// The lab's refcount: a non-static function of one physical address that
// returns a number and whose name says it reads a count (krefcount,
// get_refcnt, kgetrefcnt, getref). Reported as the frame's refcount, so RC
// checks the lab's own count and not one cowcheck derives.
void find_refcount(Lab& lab, const LabOptions& options,
                   const std::vector<std::pair<fs::path, std::string>>& texts) {
  if (options.refcount == "none") {
    lab.found.push_back("refcount: from the page tables and the free list (--refcount none)");
    return;
  }
  static const std::regex function(
      R"((^|\n)[ \t]*(static[ \t]+)?(inline[ \t]+)?(unsigned[ \t]+int|unsigned[ \t]+char|int|uint|uint64|uint32|uint16|uint8|uchar|ushort|short|long|char)[ \t\n]+(\w+)[ \t]*\([ \t]*(void[ \t]*\*|uint64|char[ \t]*\*|unsigned[ \t]+long)[ \t]*\w*[ \t]*\))");
  for (const auto& [path, text] : texts) {
    for (std::sregex_iterator it(text.begin(), text.end(), function), done; it != done; ++it) {
      std::string name = (*it)[5];
      if ((*it)[2].matched) continue;  // static: the glue cannot call it
      if (options.refcount.empty() ? !names_a_count(name) : name != options.refcount) continue;
      std::string param = (*it)[6];
      std::string cast = param.find('*') == std::string::npos ? "uint64" : param;
      lab.refcount = fmt::format("{}(({})(pa))", name, cast);
      lab.refcount_declaration = fmt::format("{} {}({});", (*it)[4].str(), name, param);
      lab.found.push_back(
          fmt::format("refcount: {}() (kernel/{})", name, path.filename().string()));
      return;
    }
  }
  if (!options.refcount.empty())
    throw LabError(fmt::format(
        "{}: no non-static function {}(pa) taking a physical address (void *, char * or uint64) "
        "in kernel/defs.h, kalloc.c, vm.c or trap.c",
        lab.kernel.string(), options.refcount));
  lab.found.push_back(
      "refcount: no accessor found (a function like int krefcount(void *pa)); refcounts come "
      "from the page tables and the free list, so a wrong count is seen only by what it does "
      "(name yours with --refcount NAME)");
}

}  // namespace

std::string read_lab_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw LabError(fmt::format("{}: cannot be read", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Lab find_lab(const fs::path& root, const LabOptions& options) {
  Lab lab;
  lab.kernel = kernel_folder(root);
  std::vector<fs::path> headers;
  for (const fs::directory_entry& entry : fs::directory_iterator(lab.kernel))
    if (entry.is_regular_file() && entry.path().extension() == ".h")
      headers.push_back(entry.path());
  std::sort(headers.begin(), headers.end());
  for (const char* name : {"riscv.h", "defs.h", "types.h", "memlayout.h", "proc.h"})
    if (!fs::is_regular_file(lab.kernel / name))
      throw LabError(fmt::format("{}: missing; the lab's headers are compiled as they are",
                                 (lab.kernel / name).string()));
  lab.files = headers;
  for (const char* name : kLabSources) {
    fs::path source = lab.kernel / name;
    if (!fs::is_regular_file(source))
      throw LabError(
          fmt::format("{}: missing; cowcheck compiles kalloc.c, vm.c and trap.c", source.string()));
    lab.files.push_back(source);
  }

  // defs.h first: the accessor the lab declares for the rest of the kernel.
  std::vector<std::pair<fs::path, std::string>> texts;
  texts.emplace_back(lab.kernel / "defs.h", read_lab_file(lab.kernel / "defs.h"));
  for (const fs::path& file : lab.files)
    if (file.filename() != "defs.h") texts.emplace_back(file, read_lab_file(file));
  find_cow_bit(lab, options, texts);
  find_refcount(lab, options, texts);

  static const std::regex bytes(
      R"(uvmunmap[ \t]*\([ \t]*pagetable_t[ \t]+\w+[ \t]*,[ \t]*uint64[ \t]+\w+[ \t]*,[ \t]*uint64[ \t]+size)");
  for (const auto& [path, text] : texts)
    if (path.filename() == "vm.c" && std::regex_search(text, bytes))
      lab.uvmunmap_takes_bytes = true;
  return lab;
}

}  // namespace cow::xv6
