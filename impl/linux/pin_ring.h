// The long-term pins of a run, held by the oracle: one io_uring instance
// whose table of fixed buffers has a slot per pin. A server pins one of its
// pages by registering it in a slot (IORING_REGISTER_BUFFERS_UPDATE, which
// is pin_user_pages(FOLL_WRITE | FOLL_LONGTERM) on the registering
// process's memory); the instance is the oracle's, so the pin lasts until
// the oracle empties the slot, whatever happens to the process. A page is
// read through its pin with IORING_OP_WRITE_FIXED, which copies the pinned
// page itself, wherever the process's PTE points now.
//
// The oracle makes the instance before pid 1, and every server inherits it
// at a fixed descriptor: Linux refuses to pass an io_uring descriptor over
// a socket (SCM_RIGHTS), so it cannot go the way a pipe or a socket does.
#pragma once

#include <linux/io_uring.h>

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "impl/linux/pagemap.h"

namespace cow::linux_host {

using PageWords = std::array<std::uint32_t, kPageBytes / sizeof(std::uint32_t)>;

class PinRing {
 public:
  // Pins held at once, at most.
  static constexpr std::uint32_t kSlots = 4096;

  // A new instance with every slot empty; nullopt (errno set) when the host
  // has no io_uring (not built in, kernel.io_uring_disabled) or one without
  // sparse buffer tables (before 5.19).
  static std::optional<PinRing> create();
  PinRing(PinRing&& other) noexcept;
  PinRing& operator=(PinRing&& other) noexcept;
  PinRing(const PinRing&) = delete;
  PinRing& operator=(const PinRing&) = delete;
  ~PinRing();

  // What servers register their pages in.
  int fd() const { return fd_; }
  // The page pinned in `slot` as it is now. `address` is where the page was
  // in the registering process (the kernel checks it against the
  // registration). Empty on success, else why not.
  std::string read(std::uint32_t slot, std::uint64_t address, PageWords& page) const;
  // Drops the pin in `slot` at once: the slot is emptied, and the page
  // unpinned before this returns. Empty on success, else why not.
  std::string release(std::uint32_t slot) const;

 private:
  PinRing(int fd, const io_uring_params& params) : fd_(fd), params_(params) {}
  int fd_ = -1;
  io_uring_params params_{};
};

// A server's side: registers the page at `address` in `slot` of the
// instance at `ring`. 0, or the error negated (-EFAULT: the page is not
// mapped, or not writable); errno is left alone (impl/linux/raw_syscall.h).
// Async-signal-safe.
int pin_ring_register(int ring, std::uint32_t slot, void* address);

}  // namespace cow::linux_host
