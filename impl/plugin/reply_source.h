// Where the oracle reads a worker's answers from: the worker's pipe, or a
// buffer (the wire fuzz target), so that decoding needs no process.
#pragma once

#include <cstddef>
#include <string>

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

}  // namespace cow::plugin
