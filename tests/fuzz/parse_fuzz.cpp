// The .cow parser on arbitrary bytes: it either reads a file or throws a
// CowParseError of the form "file:line: what", whose text is safe for a
// terminal. Anything else (another exception, a crash, a sanitizer report,
// a hang) is a bug. A file it reads writes back to one it reads the same.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "checker/cow_file.h"

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

bool terminal_safe(std::string_view text) {
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  cow::CowFile file;
  try {
    file = cow::parse_cow(text, "fuzz.cow");
  } catch (const cow::CowParseError& e) {
    std::string_view what = e.what();
    require(what.starts_with("fuzz.cow:"));
    std::size_t digits = what.find_first_not_of("0123456789", 9);
    require(digits > 9 && digits != std::string_view::npos && what[digits] == ':');
    require(what[9] != '0');  // lines count from 1
    require(terminal_safe(what));
    return 0;
  }
  // What was read is what a writer writes: the same configuration, the
  // invariant and the ops. (The impl line's quoting belongs to the writer,
  // and is tested with it.)
  file.impl = "model";
  cow::CowFile again = cow::parse_cow(cow::format_cow(file), "again.cow");
  require(again.config == file.config);
  require(again.invariant == file.invariant);
  require(again.ops == file.ops);
  return 0;
}
