// /proc/self/pagemap, the one place its bits are spelled out
// (Documentation/admin-guide/mm/pagemap.rst): one 64-bit entry per virtual
// page. Nothing else in impl/linux shifts pagemap bits by hand.
#pragma once

#include <cstdint>

namespace cow::linux_host {

inline constexpr std::uint64_t kPageBytes = 4096;

// Bits 0-54: the page frame number, when present; 0 unless the reader has
// CAP_SYS_ADMIN (since 4.2 an unprivileged reader sees the entry, not the PFN).
inline constexpr std::uint64_t kPagemapPfnMask = (std::uint64_t{1} << 55) - 1;
// Bit 56: the page is mapped exactly once (by this PTE alone).
inline constexpr std::uint64_t kPagemapExclusive = std::uint64_t{1} << 56;
// Bit 61: the page is a file page or shared anonymous (shmem), not an
// anonymous page of a private mapping. Shown to every reader.
inline constexpr std::uint64_t kPagemapFile = std::uint64_t{1} << 61;
inline constexpr std::uint64_t kPagemapSwapped = std::uint64_t{1} << 62;
inline constexpr std::uint64_t kPagemapPresent = std::uint64_t{1} << 63;

inline std::uint64_t pagemap_pfn(std::uint64_t entry) {
  return (entry & kPagemapPresent) ? entry & kPagemapPfnMask : 0;
}
inline bool pagemap_exclusive(std::uint64_t entry) { return (entry & kPagemapExclusive) != 0; }
inline bool pagemap_present(std::uint64_t entry) { return (entry & kPagemapPresent) != 0; }
// A present page of a private mapping that is anonymous: a private file
// page once its process has written it (its own copy), or any private
// anonymous page.
inline bool pagemap_anonymous(std::uint64_t entry) {
  return pagemap_present(entry) && (entry & kPagemapFile) == 0;
}

// PAGEMAP_SCAN (6.7+): whether the page holding `address` is mapped by a
// PMD, a whole transparent huge page in one entry (PAGE_IS_HUGE). False
// when it is not, or when the kernel cannot say. Async-signal-safe.
bool pagemap_pmd_mapped(int pagemap_fd, const volatile void* address);

// /proc/kpageflags (root only): whether frame `pfn` belongs to a
// transparent huge page, head or tail (KPF_THP), however it is mapped.
// False when unknown. Opens and closes the file: async-signal-safe.
bool kpageflags_thp(std::uint64_t pfn);

// The entry for the page holding `address` from an open pagemap file; 0 when
// it cannot be read. Async-signal-safe: it runs in the forked servers.
std::uint64_t pagemap_read(int pagemap_fd, const volatile void* address);
// The entries of `count` pages from the one holding `address`, in one read.
bool pagemap_read_range(int pagemap_fd, const volatile void* address, std::uint64_t* entries,
                        std::uint32_t count);

}  // namespace cow::linux_host
