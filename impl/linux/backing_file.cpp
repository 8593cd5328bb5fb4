#include "impl/linux/backing_file.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "impl/linux/pagemap.h"

namespace cow::linux_host {

int make_backing_file(const Config& config) {
  int fd = ::memfd_create("cowcheck-file", MFD_CLOEXEC);
  if (fd < 0) return -1;
  std::vector<std::uint32_t> page(kPageBytes / sizeof(std::uint32_t), 0);
  bool ok = ::ftruncate(fd, static_cast<off_t>(std::uint64_t{config.pages} * kPageBytes)) == 0;
  for (Vpn p = 0; ok && p < config.pages; ++p) {
    for (std::uint32_t w = 0; w < config.words; ++w) page[w] = file_word(p, w);
    auto offset = static_cast<off_t>(std::uint64_t{p} * kPageBytes);
    ok = ::pwrite(fd, page.data(), kPageBytes, offset) == static_cast<ssize_t>(kPageBytes);
  }
  if (ok) return fd;
  int error = errno;
  ::close(fd);
  errno = error;
  return -1;
}

}  // namespace cow::linux_host
