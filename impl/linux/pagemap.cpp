#include "impl/linux/pagemap.h"

#include <fcntl.h>
#include <sys/ioctl.h>
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

namespace {

// From <linux/fs.h> of 6.7, which the build host's headers may predate.
struct PageRegion {
  std::uint64_t start, end, categories;
};
struct PagemapScanArg {
  std::uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages, category_inverted,
      category_mask, category_anyof_mask, return_mask;
};
constexpr unsigned long kPagemapScan = _IOWR('f', 16, PagemapScanArg);
constexpr std::uint64_t kPageIsHuge = 1 << 6;
constexpr std::uint64_t kKpfThp = std::uint64_t{1} << 22;

}  // namespace

bool pagemap_pmd_mapped(int pagemap_fd, const volatile void* address) {
  if (pagemap_fd < 0) return false;
  auto start = reinterpret_cast<std::uintptr_t>(address) & ~(kPageBytes - 1);
  PageRegion region{};
  PagemapScanArg arg{};
  arg.size = sizeof arg;
  arg.start = start;
  arg.end = start + kPageBytes;
  arg.vec = reinterpret_cast<std::uintptr_t>(&region);
  arg.vec_len = 1;
  arg.category_mask = kPageIsHuge;
  arg.return_mask = kPageIsHuge;
  return ::ioctl(pagemap_fd, kPagemapScan, &arg) > 0 && (region.categories & kPageIsHuge) != 0;
}

bool kpageflags_thp(std::uint64_t pfn) {
  if (pfn == 0) return false;
  int fd = ::open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  std::uint64_t flags = 0;
  bool read = ::pread(fd, &flags, sizeof flags, static_cast<off_t>(pfn * sizeof flags)) ==
              static_cast<ssize_t>(sizeof flags);
  ::close(fd);
  return read && (flags & kKpfThp) != 0;
}

}  // namespace cow::linux_host
