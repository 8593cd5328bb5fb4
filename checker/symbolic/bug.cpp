#include "checker/symbolic/bug.h"

#include <array>
#include <utility>

namespace cow::symbolic {

namespace {

constexpr std::array<std::pair<Bug, std::string_view>, 15> kNames = {{
    {Bug::ChildTableMemcpy, "child-table-memcpy"},
    {Bug::ParentLeftWritable, "parent-left-writable"},
    {Bug::ChildLeftWritable, "child-left-writable"},
    {Bug::ForkNoRefcount, "fork-no-refcount"},
    {Bug::ForkDropsCowBit, "fork-drops-cow-bit"},
    {Bug::CopyAlways, "copy-always"},
    {Bug::ReuseShared, "reuse-shared"},
    {Bug::ReuseKeepsCow, "reuse-keeps-cow"},
    {Bug::ReuseStaysReadonly, "reuse-stays-readonly"},
    {Bug::CopyKeepsOldRef, "copy-keeps-old-ref"},
    {Bug::CopyNoContents, "copy-no-contents"},
    {Bug::ExitLeaks, "exit-leaks"},
    {Bug::CopyoutNoCow, "copyout-no-cow"},
    {Bug::SwapoutOnePte, "swapout-one-pte"},
    {Bug::ForkSharesPinned, "fork-shares-pinned"},
}};

constexpr std::array<Bug, 15> kBugs = [] {
  std::array<Bug, 15> bugs{};
  for (std::size_t i = 0; i < kNames.size(); ++i) bugs[i] = kNames[i].first;
  return bugs;
}();

constexpr std::string_view kMutantPrefix = "mutant:";

// Both are caught by RC's check that an answer the semantics leaves open is
// justified by the state before the op (spec/check_choice.cpp). The
// encoding has that check too, but no switch for either bug.
constexpr std::array<std::pair<std::string_view, std::string_view>, 2> kNotEncoded = {{
    {"alloc-keeps-reserve", "the encoding's allocator has no switch to keep a frame back"},
    {"unpin-keeps-pincount", "the encoding keeps no pin count apart from the pins held"},
}};

}  // namespace

std::optional<std::string_view> not_encoded(std::string_view impl) {
  if (!impl.starts_with(kMutantPrefix)) return std::nullopt;
  impl.remove_prefix(kMutantPrefix.size());
  for (auto [name, why] : kNotEncoded)
    if (name == impl) return why;
  return std::nullopt;
}

std::span<const Bug> all_bugs() { return kBugs; }

std::string impl_of(Bug bug) {
  for (auto [known, name] : kNames)
    if (known == bug) return std::string(kMutantPrefix) + std::string(name);
  return "model";
}

std::optional<Bug> bug_of(std::string_view impl) {
  if (impl == "model") return Bug::None;
  if (!impl.starts_with(kMutantPrefix)) return std::nullopt;
  impl.remove_prefix(kMutantPrefix.size());
  for (auto [bug, name] : kNames)
    if (name == impl) return bug;
  return std::nullopt;
}

}  // namespace cow::symbolic
