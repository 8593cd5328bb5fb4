#include "impl/linux/pin_ring.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "impl/linux/raw_syscall.h"

namespace cow::linux_host {

namespace {

// The submission and completion rings, mapped only while one read is in
// flight: a ring mapped in the oracle would also be inherited by the next
// first server it forks, which would then hold the instance open.
class RingMap {
 public:
  RingMap(int fd, const io_uring_params& p)
      : ring_bytes_(std::max<std::size_t>(p.sq_off.array + p.sq_entries * sizeof(std::uint32_t),
                                          p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe))),
        sqe_bytes_(p.sq_entries * sizeof(io_uring_sqe)) {
    ring_ = ::mmap(nullptr, ring_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                   IORING_OFF_SQ_RING);
    sqes_ = ::mmap(nullptr, sqe_bytes_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd,
                   IORING_OFF_SQES);
  }
  ~RingMap() {
    if (ring_ != MAP_FAILED) ::munmap(ring_, ring_bytes_);
    if (sqes_ != MAP_FAILED) ::munmap(sqes_, sqe_bytes_);
  }
  RingMap(const RingMap&) = delete;
  RingMap& operator=(const RingMap&) = delete;
  bool ok() const { return ring_ != MAP_FAILED && sqes_ != MAP_FAILED; }
  template <typename T>
  T* at(std::uint32_t offset) const {
    return reinterpret_cast<T*>(static_cast<char*>(ring_) + offset);
  }
  io_uring_sqe* sqes() const { return static_cast<io_uring_sqe*>(sqes_); }

 private:
  std::size_t ring_bytes_;
  std::size_t sqe_bytes_;
  void* ring_ = MAP_FAILED;
  void* sqes_ = MAP_FAILED;
};

std::uint32_t load_acquire(const std::uint32_t* p) {
  return std::atomic_ref<const std::uint32_t>(*p).load(std::memory_order_acquire);
}
void store_release(std::uint32_t* p, std::uint32_t v) {
  std::atomic_ref<std::uint32_t>(*p).store(v, std::memory_order_release);
}

}  // namespace

std::optional<PinRing> PinRing::create() {
  io_uring_params params{};
  long fd = ::syscall(SYS_io_uring_setup, 1, &params);
  if (fd < 0) return std::nullopt;
  io_uring_rsrc_register table{};
  table.nr = kSlots;
  table.flags = IORING_RSRC_REGISTER_SPARSE;
  if (::syscall(SYS_io_uring_register, fd, IORING_REGISTER_BUFFERS2, &table, sizeof table) != 0) {
    int error = errno;
    ::close(static_cast<int>(fd));
    errno = error;
    return std::nullopt;
  }
  return PinRing(static_cast<int>(fd), params);
}

PinRing::PinRing(PinRing&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), params_(other.params_) {}

PinRing& PinRing::operator=(PinRing&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    params_ = other.params_;
  }
  return *this;
}

// Closing the instance drops every pin, later, in a kernel worker: by then
// every server is gone too.
PinRing::~PinRing() {
  if (fd_ >= 0) ::close(fd_);
}

int pin_ring_register(int ring, std::uint32_t slot, void* address) {
  iovec buffer{address, kPageBytes};
  io_uring_rsrc_update2 update{};
  update.offset = slot;
  update.data = reinterpret_cast<std::uintptr_t>(&buffer);
  update.nr = 1;
  long updated = raw_syscall(SYS_io_uring_register, ring, IORING_REGISTER_BUFFERS_UPDATE,
                             as_word(&update), sizeof update);
  if (updated == 1) return 0;
  return updated < 0 ? static_cast<int>(updated) : -EIO;
}

// An empty buffer in the slot: the kernel drops the old one's pin as soon
// as no request uses it, and none does (reads complete before they return).
std::string PinRing::release(std::uint32_t slot) const {
  iovec empty{nullptr, 0};
  io_uring_rsrc_update2 update{};
  update.offset = slot;
  update.data = reinterpret_cast<std::uintptr_t>(&empty);
  update.nr = 1;
  long updated =
      ::syscall(SYS_io_uring_register, fd_, IORING_REGISTER_BUFFERS_UPDATE, &update, sizeof update);
  if (updated == 1) return {};
  return fmt::format("emptying slot {}: {}", slot, updated < 0 ? std::strerror(errno) : "not done");
}

// One IORING_OP_WRITE_FIXED of the whole buffer into a pipe, submitted and
// waited for in one io_uring_enter; then the pipe holds the page.
std::string PinRing::read(std::uint32_t slot, std::uint64_t address, PageWords& page) const {
  RingMap ring(fd_, params_);
  if (!ring.ok()) return fmt::format("mapping the io_uring rings: {}", std::strerror(errno));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return fmt::format("pipe: {}", std::strerror(errno));
  io_uring_sqe& sqe = ring.sqes()[0];
  std::memset(&sqe, 0, sizeof sqe);
  sqe.opcode = IORING_OP_WRITE_FIXED;
  sqe.fd = pipe_fds[1];
  sqe.addr = address;
  sqe.len = kPageBytes;
  sqe.off = ~std::uint64_t{0};  // the pipe's own position
  sqe.buf_index = static_cast<std::uint16_t>(slot);
  std::uint32_t mask = *ring.at<std::uint32_t>(params_.sq_off.ring_mask);
  auto* tail = ring.at<std::uint32_t>(params_.sq_off.tail);
  std::uint32_t t = *tail;
  ring.at<std::uint32_t>(params_.sq_off.array)[t & mask] = 0;
  store_release(tail, t + 1);
  std::string error;
  long entered = ::syscall(SYS_io_uring_enter, fd_, 1, 1, IORING_ENTER_GETEVENTS, nullptr, 0);
  if (entered != 1) {
    error = fmt::format("io_uring_enter: {}", entered < 0 ? std::strerror(errno) : "not submitted");
  } else {
    auto* head = ring.at<std::uint32_t>(params_.cq_off.head);
    std::uint32_t h = *head;
    std::uint32_t cq_mask = *ring.at<std::uint32_t>(params_.cq_off.ring_mask);
    if (load_acquire(ring.at<std::uint32_t>(params_.cq_off.tail)) == h) {
      error = "no completion";
    } else {
      int result = ring.at<io_uring_cqe>(params_.cq_off.cqes)[h & cq_mask].res;
      store_release(head, h + 1);
      if (result != static_cast<int>(kPageBytes))
        error = fmt::format("write of the fixed buffer: {}",
                            result < 0 ? std::strerror(-result) : "short");
      else if (::read(pipe_fds[0], page.data(), kPageBytes) != static_cast<ssize_t>(kPageBytes))
        error = fmt::format("reading the pipe: {}", std::strerror(errno));
    }
  }
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
  return error;
}

}  // namespace cow::linux_host
