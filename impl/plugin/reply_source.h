// Where the oracle reads a worker's answers from: the worker's pipe, or a
// buffer (the wire fuzz target), so that decoding needs no process.
#pragma once

#include <cstddef>
#include <cstring>
#include <span>
#include <string>

#include "spec/implementation.h"

namespace cow::plugin {

class ReplySource {
 public:
  virtual ~ReplySource() = default;
  // Fills `data` or throws (ImplementationStopped when the answer never comes).
  virtual void receive(void* data, std::size_t size) = 0;
  // The answer read so far is one no plug-in may give: throws
  // ImplementationStopped (a CRASH) with `what`, leaving nothing half-read.
  [[noreturn]] virtual void reject(const std::string& what) = 0;
};

// A reply stream held in memory: running out is a worker that stopped
// answering (a CRASH), as a closed pipe would be.
class BufferReplySource : public ReplySource {
 public:
  explicit BufferReplySource(std::span<const unsigned char> bytes) : bytes_(bytes) {}
  void receive(void* data, std::size_t size) override {
    if (size > bytes_.size())
      throw ImplementationStopped(
          ImplementationStopped::Kind::Crash,
          "the reply ended " + std::to_string(size - bytes_.size()) + " bytes early");
    if (size > 0) std::memcpy(data, bytes_.data(), size);
    bytes_ = bytes_.subspan(size);
  }
  [[noreturn]] void reject(const std::string& what) override {
    throw ImplementationStopped(ImplementationStopped::Kind::Crash, what);
  }
  std::size_t left() const { return bytes_.size(); }

 private:
  std::span<const unsigned char> bytes_;
};

}  // namespace cow::plugin
