#include "impl/linux/pagemap.h"

#include <unistd.h>

#include <cstdint>

namespace cow::linux_host {

std::uint64_t pagemap_read(int pagemap_fd, const volatile void* address) {
  if (pagemap_fd < 0) return 0;
  std::uint64_t entry = 0;
  auto offset =
      static_cast<off_t>(reinterpret_cast<std::uintptr_t>(address) / kPageBytes * sizeof entry);
  if (::pread(pagemap_fd, &entry, sizeof entry, offset) != static_cast<ssize_t>(sizeof entry))
    return 0;
  return entry;
}

bool pagemap_read_range(int pagemap_fd, const volatile void* address, std::uint64_t* entries,
                        std::uint32_t count) {
  if (pagemap_fd < 0) return false;
  auto offset =
      static_cast<off_t>(reinterpret_cast<std::uintptr_t>(address) / kPageBytes * sizeof *entries);
  auto bytes = static_cast<ssize_t>(count * sizeof *entries);
  return ::pread(pagemap_fd, entries, static_cast<std::size_t>(bytes), offset) == bytes;
}

}  // namespace cow::linux_host
