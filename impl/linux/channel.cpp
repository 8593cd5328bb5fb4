#include "impl/linux/channel.h"

#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cow::linux_host {

namespace {

long now_ms() {
  timespec t{};
  ::clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

// Room for one descriptor; a sender that attaches more is misbehaving, and
// the kernel truncates (MSG_CTRUNC) rather than leak them to us.
union ControlBuffer {
  char bytes[CMSG_SPACE(sizeof(int))];
  cmsghdr align;
};

// POLLIN within the deadline; false on timeout or a poll failure.
Received wait_readable(int fd, int timeout_ms) {
  long deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
  for (;;) {
    int wait = -1;
    if (timeout_ms >= 0) {
      long left = deadline - now_ms();
      if (left < 0) left = 0;
      wait = static_cast<int>(left);
    }
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, wait);
    if (n > 0) return Received::Message;  // readable, or hung up: recvmsg tells
    if (n == 0) return Received::TimedOut;
    if (errno != EINTR) return Received::Failed;
  }
}

}  // namespace

bool channel_pair(int ends[2]) {
  return ::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) == 0;
}

bool channel_send(int fd, const void* data, std::size_t size, int pass_fd) {
  iovec iov{const_cast<void*>(data), size};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ControlBuffer control{};
  if (pass_fd >= 0) {
    msg.msg_control = control.bytes;
    msg.msg_controllen = sizeof control.bytes;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
  }
  for (;;) {
    ssize_t n = ::sendmsg(fd, &msg, MSG_NOSIGNAL);
    if (n == static_cast<ssize_t>(size)) return true;
    if (n < 0 && errno == EINTR) continue;
    return false;
  }
}

Received channel_receive(int fd, void* data, std::size_t size, int timeout_ms, int* passed_fd) {
  if (passed_fd) *passed_fd = -1;
  if (Received r = wait_readable(fd, timeout_ms); r != Received::Message) return r;
  iovec iov{data, size};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  ControlBuffer control{};
  msg.msg_control = control.bytes;
  msg.msg_controllen = sizeof control.bytes;
  ssize_t n;
  do {
    n = ::recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
  } while (n < 0 && errno == EINTR);
  if (n == 0 || (n < 0 && errno == ECONNRESET)) return Received::Closed;
  int got_fd = -1;
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
        c->cmsg_len == CMSG_LEN(sizeof(int)))
      std::memcpy(&got_fd, CMSG_DATA(c), sizeof(int));
  if (got_fd >= 0) {
    if (passed_fd)
      *passed_fd = got_fd;
    else
      ::close(got_fd);
  }
  if (n != static_cast<ssize_t>(size) || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
    if (passed_fd && *passed_fd >= 0) {
      ::close(*passed_fd);
      *passed_fd = -1;
    }
    return Received::Failed;
  }
  return Received::Message;
}

}  // namespace cow::linux_host
