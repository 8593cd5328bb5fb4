// A server's address space: the pages under test, the per-page records that
// live beside them, and mmap/munmap over them.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>

#include "impl/linux/server_state.h"
#include "spec/types.h"

namespace cow::linux_host {

namespace {

void* map_private(std::size_t bytes) {
  return ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

// The pages under test sit far below where the kernel puts a mapping that
// names no address (it searches down from mmap_base, near the top of the
// address space), so that nothing mapped later, by the server, its C
// library or a sanitizer's runtime, can land in a hole munmap left among
// them: an access there must find no mapping. 32 TiB is above
// AddressSanitizer's shadow on x86-64, and far below every library and
// stack. Taken elsewhere, a few terabytes up; failing that, anywhere.
void* map_pages_under_test(std::size_t bytes, bool huge_aligned) {
  if constexpr (sizeof(std::uintptr_t) >= 8) {
    constexpr std::uintptr_t kFirst = std::uintptr_t{1} << 45;
    constexpr std::uintptr_t kStep = std::uintptr_t{1} << 42;
    for (std::uintptr_t i = 0; i < 8; ++i) {
      void* got = ::mmap(reinterpret_cast<void*>(kFirst + i * kStep), bytes, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
      if (got != MAP_FAILED) return got;
    }
  }
  if (huge_aligned) return MAP_FAILED;  // an unaligned THP is no PMD-mapped THP
  return map_private(bytes);
}

// One 4 KiB folio per page: a huge or multi-size THP folio would share one
// PFN range among pages and take other fault paths; KSM would merge the
// zero-filled pages. Both are advice a host may not know: errors ignored.
void one_folio_per_page(void* at, std::size_t bytes) {
  ::madvise(at, bytes, MADV_NOHUGEPAGE);
  ::madvise(at, bytes, MADV_UNMERGEABLE);
}

// linux:thp: the first server's pages are the first pages of one 2 MiB
// region (32 TiB is 2 MiB aligned) that the kernel backs with one
// PMD-mapped transparent huge page, as selftests/mm/cow.c gets its THP:
// MADV_HUGEPAGE, then a store populates the whole of it at once
// (do_huge_pmd_anonymous_page). MADV_NOHUGEPAGE afterwards keeps the huge
// page but stops khugepaged from collapsing the region again behind the
// oracle's back (a collapse would make write-protected pages writable
// between ops) and keeps any later fault to 4 KiB pages; the kernel's COW
// of the huge page (do_huge_pmd_wp_page) does not look at either flag.
// Whether the kernel did give a huge page is the oracle's to say (Hello).
void* map_first_thp() {
  void* at = map_pages_under_test(kHugeBytes, true);
  if (at == MAP_FAILED) return at;
  ::madvise(at, kHugeBytes, MADV_HUGEPAGE);
  for (std::size_t offset = 0; offset < kHugeBytes; offset += kPageBytes)
    *reinterpret_cast<volatile std::uint32_t*>(static_cast<char*>(at) + offset) = 0;
  ::madvise(at, kHugeBytes, MADV_NOHUGEPAGE);
  ::madvise(at, kHugeBytes, MADV_UNMERGEABLE);
  return at;
}

}  // namespace

volatile std::uint32_t* page_at(const ServerState& s, std::uint32_t vpn) {
  return s.memory + std::size_t{vpn} * kWordsPerPage;
}

// The first server's pages start as the model's first process has them:
// private anonymous, each present and exclusive (a store puts it there). An
// exec'd image's are untouched, as exec leaves them. The records and the
// stacks of vfork children and threads are mapped now, once: a stack mapped
// later would be one more mapping in its parent's space.
bool map_space(ServerState& s, bool touch) {
  std::size_t bytes = std::size_t{s.setup.pages} * kPageBytes;
  bool thp = touch && s.setup.thp;
  void* memory = thp ? map_first_thp() : map_pages_under_test(bytes, false);
  std::size_t taken_at = (3 * std::size_t{s.setup.pages} + 7) / 8 * 8;
  void* records = map_private(taken_at + sizeof(std::uint32_t) * s.setup.procs);
  void* stacks = map_private(std::size_t{s.setup.procs} * kStackBytes);
  if (memory == MAP_FAILED || records == MAP_FAILED || stacks == MAP_FAILED) return false;
  if (!thp) one_folio_per_page(memory, bytes);
  s.memory = static_cast<volatile std::uint32_t*>(memory);
  s.maybe_write_protected = static_cast<std::uint8_t*>(records);
  s.kinds = s.maybe_write_protected + s.setup.pages;
  s.reused_with_thp = s.kinds + s.setup.pages;
  s.stacks = static_cast<char*>(stacks);
  s.stack_taken = reinterpret_cast<std::uint32_t*>(static_cast<char*>(records) + taken_at);
  s.stack_slot = -1;
  s.clock = race_clock_map(kClockFd);
  for (std::uint32_t vpn = 0; vpn < s.setup.pages; ++vpn)
    s.kinds[vpn] = static_cast<std::uint8_t>(MapKind::PrivateAnon);
  if (touch)
    for (std::uint32_t vpn = 0; vpn < s.setup.pages; ++vpn)
      for (std::uint32_t w = 0; w < s.setup.words; ++w) page_at(s, vpn)[w] = 0;
  return true;
}

// After a fork, on both sides: fork write-protects every anonymous page it
// shares, and shares every present one but a pinned exclusive page, which
// it copies for the child at once and leaves writable on both sides. A
// page shared is mapped at least twice; a page copied is mapped once on
// each side (pagemap bit 56). Pages of the file keep their PFN only until
// written (a write always copies them), and a missing page has no PTE to
// protect: neither needs the mark. Nothing else runs meanwhile (the
// oracle waits for both sides), so the counts are the fork's, and so is the
// number of pages mapped once: the pages it copied.
std::uint32_t mark_shared_by_fork(ServerState& s) {
  constexpr std::uint32_t kChunk = 64;
  std::uint32_t copied = 0;
  std::uint64_t entries[kChunk];
  for (std::uint32_t first = 0; first < s.setup.pages; first += kChunk) {
    std::uint32_t n = s.setup.pages - first < kChunk ? s.setup.pages - first : kChunk;
    if (!pagemap_read_range(s.pagemap, page_at(s, first), entries, n))
      for (std::uint32_t i = 0; i < n; ++i) entries[i] = 0;
    for (std::uint32_t i = 0; i < n; ++i) {
      s.maybe_write_protected[first + i] =
          pagemap_anonymous(entries[i]) && !pagemap_exclusive(entries[i]) ? 1 : 0;
      s.reused_with_thp[first + i] = 0;
      if (pagemap_anonymous(entries[i]) && pagemap_exclusive(entries[i])) ++copied;
    }
  }
  return copied;
}

// A write that reused a PMD-mapped page in place, the PMD still there
// after: the PMD is writable now, so every page it maps is, though only one
// was written. The pages under test that share the PMD are all of them (the
// region is 2 MiB aligned and one intact PMD covers it); those a fork had
// write-protected are no longer. A page remapped since the huge page was
// made would have split the PMD.
void mark_reused_with_thp(ServerState& s, std::uint32_t vpn) {
  std::uint32_t first = vpn / kPagesPerHuge * kPagesPerHuge;
  std::uint32_t end = first + kPagesPerHuge < s.setup.pages ? first + kPagesPerHuge : s.setup.pages;
  for (std::uint32_t v = first; v < end; ++v) {
    if (v == vpn || s.maybe_write_protected[v] == 0) continue;
    s.maybe_write_protected[v] = 0;
    s.reused_with_thp[v] = 1;
  }
}

// The PFN of the kernel's shared zero page, which a load from an untouched
// private anonymous page maps (the model maps nothing there): a write that
// finds it takes a zero-fill, not a COW copy. 0 when PFNs are hidden.
std::uint64_t learn_zero_pfn(int pagemap) {
  void* scratch = ::mmap(nullptr, kPageBytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (scratch == MAP_FAILED) return 0;
  one_folio_per_page(scratch, kPageBytes);
  (void)*static_cast<volatile std::uint32_t*>(scratch);
  std::uint64_t pfn = pagemap_pfn(pagemap_read(pagemap, scratch));
  ::munmap(scratch, kPageBytes);
  return pfn;
}

// mmap(MAP_FIXED) of one kind over the range, or munmap. Every file mapping
// maps the one file at the page's own offset (object page p at vpn p, as
// the model has it); a shared anonymous mapping is a new object of its own,
// which a fork passes on and a vfork child shares.
ReplyMsg serve_map(ServerState& s, const RequestMsg& rq) {
  ReplyMsg r;
  r.kind = Reply::Mapped;
  void* at = const_cast<std::uint32_t*>(page_at(s, rq.vpn));
  std::size_t bytes = std::size_t{rq.count} * kPageBytes;
  auto kind = static_cast<MapKind>(rq.map);
  if (rq.kind == Request::Unmap) {
    if (::munmap(at, bytes) != 0) r.error = errno;
    kind = MapKind::None;
  } else {
    int prot = PROT_READ | PROT_WRITE;
    int flags = MAP_FIXED;
    int fd = -1;
    switch (kind) {
      case MapKind::PrivateAnon: flags |= MAP_PRIVATE | MAP_ANONYMOUS; break;
      case MapKind::SharedAnon: flags |= MAP_SHARED | MAP_ANONYMOUS; break;
      case MapKind::Text:
        prot = PROT_READ | PROT_EXEC;
        flags |= MAP_PRIVATE;
        fd = kFileFd;
        break;
      case MapKind::PrivateFile:
        flags |= MAP_PRIVATE;
        fd = kFileFd;
        break;
      case MapKind::SharedFile:
        flags |= MAP_SHARED;
        fd = kFileFd;
        break;
      case MapKind::None: ::_exit(kExitBadRequest);
    }
    auto offset = static_cast<off_t>(std::size_t{rq.vpn} * kPageBytes);
    void* got = ::mmap(at, bytes, prot, flags, fd, fd < 0 ? 0 : offset);
    if (got == MAP_FAILED)
      r.error = errno;
    else
      one_folio_per_page(at, bytes);
  }
  if (r.error != 0) return r;
  for (std::uint32_t vpn = rq.vpn; vpn < rq.vpn + rq.count; ++vpn) {
    s.kinds[vpn] = static_cast<std::uint8_t>(kind);
    s.maybe_write_protected[vpn] = 0;
    s.reused_with_thp[vpn] = 0;
  }
  return r;
}

// MADV_DONTNEED over the range: the mappings stay, their pages go. A range
// with holes is done wherever it is mapped (the kernel says ENOMEM then,
// after doing it), as the semantics drops the pages that are there.
ReplyMsg serve_madvise(ServerState& s, const RequestMsg& rq) {
  ReplyMsg r;
  r.kind = Reply::Mapped;
  void* at = const_cast<std::uint32_t*>(page_at(s, rq.vpn));
  std::size_t bytes = std::size_t{rq.count} * kPageBytes;
  r.invoked = enter_race(s, rq);
  int done = ::madvise(at, bytes, MADV_DONTNEED);
  int error = errno;
  r.returned = leave_race(s, rq);
  if (done != 0 && error != ENOMEM) {
    r.error = error;
    return r;
  }
  // No page is present now: none is write-protected by a fork.
  for (std::uint32_t vpn = rq.vpn; vpn < rq.vpn + rq.count; ++vpn) {
    s.maybe_write_protected[vpn] = 0;
    s.reused_with_thp[vpn] = 0;
  }
  return r;
}

}  // namespace cow::linux_host
