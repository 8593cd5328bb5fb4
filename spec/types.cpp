#include "spec/types.h"

namespace cow {

const char* config_error(const Config& c) {
  if (c.pages == 0 || c.pages > 1024) return "pages must be between 1 and 1024";
  if (c.frames < c.pages) return "frames must be at least pages (the first process maps every page)";
  if (c.frames > (1u << 20)) return "frames must be at most 1048576";
  if (c.words == 0 || c.words > kMaxWords) return "words must be between 1 and 4";
  if (c.procs == 0 || c.procs > 4096) return "procs must be between 1 and 4096";
  return "";
}

}  // namespace cow
