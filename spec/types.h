// The vocabulary every layer shares: process ids, virtual page numbers,
// frame numbers, page values, and the configuration of a run.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace cow {

using Pid = std::uint32_t;    // process id; the first process is kInitPid
using Vpn = std::uint32_t;    // virtual page number, 0 .. Config::pages-1
using Pfn = std::uint32_t;    // physical frame number, 0 .. Config::frames-1
using Value = std::uint32_t;  // one word of a page; every word starts as 0
using PinId = std::uint32_t;  // a long-term reference, numbered from 1 in order taken
using Slot = std::uint32_t;   // a swap slot

inline constexpr Pid kInitPid = 1;
inline constexpr Pfn kNoFrame = ~Pfn{0};
inline constexpr Slot kNoSlot = ~Slot{0};

// A page is a few words, not one: a write changes one word and a COW copy
// must carry the others, so a copy that forgets the contents is visible.
inline constexpr std::uint32_t kMaxWords = 4;
using PageData = std::array<Value, kMaxWords>;  // words past Config::words stay 0

// What a virtual page is mapped to. Private mappings are copy-on-write;
// shared ones are one object seen by every mapper; text is a read-only
// private file mapping that is never written and never copied.
enum class MapKind : std::uint8_t { None, PrivateAnon, SharedAnon, Text, PrivateFile, SharedFile };

// A set of mapping kinds: what an implementation can map. Bit i is MapKind i.
using MapSet = std::uint32_t;
inline constexpr MapSet map_bit(MapKind k) { return MapSet{1} << static_cast<int>(k); }
inline constexpr MapSet kAllMaps = map_bit(MapKind::PrivateAnon) | map_bit(MapKind::SharedAnon) |
                                   map_bit(MapKind::Text) | map_bit(MapKind::PrivateFile) |
                                   map_bit(MapKind::SharedFile);

inline constexpr bool is_private(MapKind k) {
  return k == MapKind::PrivateAnon || k == MapKind::PrivateFile;
}

// When a write fault may keep the frame it hit: Linux's three answers.
enum class ReusePolicy : std::uint8_t {
  MapCount,   // until 5.8: the frame is mapped by one PTE (CVE-2020-29374)
  PageCount,  // 5.9: the frame has one reference of any kind (wrong-way COW with pins)
  Exclusive,  // 5.19: the page is marked exclusive to its mapper (PageAnonExclusive)
};

// What a fault that finds no free frame does to the faulting process.
enum class OomPolicy : std::uint8_t { Error, Kill };

// Whether the sole-owner optimization is part of the contract. Reuse is an
// optimization: an implementation that never claimed it (an xv6 lab solution
// may always copy) is judged with Optional, under which a write fault may
// copy where the policy would reuse. A reuse where the policy says copy is
// still an isolation bug under either.
enum class ReuseRule : std::uint8_t { Required, Optional };

// When frames are taken. Demand: at first touch (a page-in or zero-fill)
// and by copies, as Linux does. Eager: also when a mapping is made, as a
// kernel without demand paging does (xv6): mmap fills its frames at once
// (xv6 maps only text) and fails with out-of-memory when too few are free,
// and fork, whose page tables come from the same frames, may fail when none
// is free, having write-protected pages of its parent for COW before it did.
enum class Paging : std::uint8_t { Demand, Eager };

// The one file every file mapping maps, page p at vpn p. Its initial
// contents are not 0, so a read that sees the file is told from one that
// sees a private copy.
inline Value file_word(Vpn page, std::uint32_t word) { return 1000 + 10 * page + word; }

// The size of the machine under test. Every address space has `pages`
// virtual pages of `words` words; pid kInitPid starts with each mapped
// private anonymous, populated, in its own frame, all words 0. `procs` bounds the live processes,
// so a bounded engine sees a finite state space.
struct Config {
  std::uint32_t pages = 4;
  // Twice the pages: few enough that running out of frames (and the last
  // free frame) is met in the short sequences the engines generate.
  std::uint32_t frames = 8;
  std::uint32_t procs = 8;
  std::uint32_t words = 2;
  ReusePolicy policy = ReusePolicy::Exclusive;
  OomPolicy oom = OomPolicy::Error;
  ReuseRule reuse = ReuseRule::Required;
  Paging paging = Paging::Demand;

  friend bool operator==(const Config&, const Config&) = default;
};

std::string_view policy_name(ReusePolicy p);
std::optional<ReusePolicy> policy_from_name(std::string_view name);
std::string_view oom_name(OomPolicy p);
std::optional<OomPolicy> oom_from_name(std::string_view name);
std::string_view reuse_rule_name(ReuseRule r);
std::optional<ReuseRule> reuse_rule_from_name(std::string_view name);
std::string_view paging_name(Paging p);
std::optional<Paging> paging_from_name(std::string_view name);
std::string_view map_kind_name(MapKind k);
std::optional<MapKind> map_kind_from_name(std::string_view name);

// Why `config` cannot be run ("frames must be at least pages"), or empty.
const char* config_error(const Config& config);

}  // namespace cow
