// The adapter's C sources (impl/xv6/adapter/) and the ABI header, compiled
// into cowcheck so that it builds a lab from anywhere it is installed.
#pragma once

#include <span>
#include <string_view>

namespace cow::xv6 {

struct AdapterFile {
  std::string_view name;
  std::string_view text;
};

std::span<const AdapterFile> adapter_files();

}  // namespace cow::xv6
