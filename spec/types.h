// The vocabulary every layer shares: process ids, virtual page numbers,
// frame numbers, page values, and the configuration of a run.
#pragma once

#include <array>
#include <cstdint>

namespace cow {

using Pid = std::uint32_t;    // process id; the first process is kInitPid
using Vpn = std::uint32_t;    // virtual page number, 0 .. Config::pages-1
using Pfn = std::uint32_t;    // physical frame number, 0 .. Config::frames-1
using Value = std::uint32_t;  // one word of a page; every word starts as 0

inline constexpr Pid kInitPid = 1;
inline constexpr Pfn kNoFrame = ~Pfn{0};

// A page is a few words, not one: a write changes one word and a COW copy
// must carry the others, so a copy that forgets the contents is visible.
inline constexpr std::uint32_t kMaxWords = 4;
using PageData = std::array<Value, kMaxWords>;  // words past Config::words stay 0

// The size of the machine under test. Every process has the same `pages`
// private anonymous pages of `words` words; pid kInitPid starts with each
// page in its own frame, all words 0. `procs` bounds the live processes, so a bounded engine
// sees a finite state space.
struct Config {
  std::uint32_t pages = 4;
  std::uint32_t frames = 16;
  std::uint32_t procs = 8;
  std::uint32_t words = 2;

  friend bool operator==(const Config&, const Config&) = default;
};

// Why `config` cannot be run ("frames must be at least pages"), or empty.
const char* config_error(const Config& config);

}  // namespace cow
