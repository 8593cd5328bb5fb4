// A reuse policy as a row: when a write fault may keep the frame it hit,
// and the rules that come with that answer (docs/mechanism.md, "The reuse
// policy"). The model, the fast implementation, the invariants and the Z3
// encoding all call policy_reuses and read the rules from this table, so a
// new policy is a new row and, if it needs one, a new case below.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "spec/types.h"

namespace cow {

struct PolicyInfo {
  ReusePolicy policy;
  std::string_view name;     // as in --policy and .cow files
  std::uint32_t abi;         // its cow_reuse_policy number (include/cowcheck/cow_abi.h)
  std::string_view kernels;  // the Linux versions that decide this way
  // The PTE carries an exclusive bit (PageAnonExclusive): set by a fresh
  // page, a copy and a reuse, cleared when fork shares the page.
  bool tracks_exclusive;
  // fork gives the child its own copy of a pinned page the parent owns
  // alone, so the pin stays with the parent's page.
  bool fork_copies_pinned;
  // A read-only pin first makes a shared private page its pinner's (the
  // unshare fault), so no later COW can leave the pin behind.
  bool ro_pin_unshares;
  // policy_reuses reads `maps`, the present PTEs on the frame: a reverse-map
  // walk that an implementation may skip for a policy that does not.
  bool reads_mapcount;
};

inline constexpr PolicyInfo kPolicies[] = {
    {ReusePolicy::MapCount, "mapcount", 0, "Linux <= 5.8", false, false, false, true},
    {ReusePolicy::PageCount, "pagecount", 1, "Linux 5.9", false, false, false, false},
    {ReusePolicy::Exclusive, "exclusive", 2, "Linux 5.19", true, true, true, false},
};

constexpr const PolicyInfo& policy_info(ReusePolicy policy) {
  return kPolicies[static_cast<std::size_t>(policy)];
}

static_assert(
    [] {
      for (std::size_t i = 0; i < std::size(kPolicies); ++i)
        if (static_cast<std::size_t>(kPolicies[i].policy) != i || kPolicies[i].abi != i)
          return false;
      return true;
    }(),
    "kPolicies is indexed by ReusePolicy, which numbers as the ABI does");

// May a write fault on a private copy-on-write page keep its frame? `maps`
// counts the present PTEs on the frame, `refcount` adds the pins and any
// other reference. Written once over the value type: plain integers and
// bools in the model, the fast implementation and the invariants; z3::expr
// in the encoder (where the comparisons build terms).
auto policy_reuses(ReusePolicy policy, const auto& exclusive, const auto& maps,
                   const auto& refcount) {
  switch (policy) {
    case ReusePolicy::MapCount: return maps == 1;
    case ReusePolicy::PageCount: return refcount == 1;
    case ReusePolicy::Exclusive: break;
  }
  return exclusive || refcount == 1;
}

}  // namespace cow
