#include "impl/linux/host_features.h"

#include <sys/utsname.h>

#include <fstream>

namespace cow::linux_host {

std::string kernel_release() {
  utsname u{};
  return ::uname(&u) == 0 ? u.release : "?";
}

bool host_has_swap() {
  std::ifstream swaps("/proc/swaps");
  std::string header;
  std::string area;
  return std::getline(swaps, header) && std::getline(swaps, area) && !area.empty();
}

}  // namespace cow::linux_host
