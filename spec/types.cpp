#include "spec/types.h"

#include <utility>

#include "spec/reuse_policy.h"

namespace cow {

namespace {

template <typename E, std::size_t N>
std::optional<E> from_name(std::string_view name,
                           const std::pair<E, std::string_view> (&table)[N]) {
  for (auto [e, n] : table)
    if (n == name) return e;
  return std::nullopt;
}

template <typename E, std::size_t N>
std::string_view to_name(E e, const std::pair<E, std::string_view> (&table)[N]) {
  for (auto [known, n] : table)
    if (known == e) return n;
  return "?";
}

constexpr std::pair<OomPolicy, std::string_view> kOoms[] = {
    {OomPolicy::Error, "error"},
    {OomPolicy::Kill, "kill"},
};
constexpr std::pair<ReuseRule, std::string_view> kReuseRules[] = {
    {ReuseRule::Required, "required"},
    {ReuseRule::Optional, "optional"},
};
constexpr std::pair<Paging, std::string_view> kPagings[] = {
    {Paging::Demand, "demand"},
    {Paging::Eager, "eager"},
};
constexpr std::pair<MapKind, std::string_view> kKinds[] = {
    {MapKind::None, "none"},
    {MapKind::PrivateAnon, "private-anon"},
    {MapKind::SharedAnon, "shared-anon"},
    {MapKind::Text, "text"},
    {MapKind::PrivateFile, "private-file"},
    {MapKind::SharedFile, "shared-file"},
};

}  // namespace

std::string_view policy_name(ReusePolicy p) { return policy_info(p).name; }
std::optional<ReusePolicy> policy_from_name(std::string_view n) {
  for (const PolicyInfo& info : kPolicies)
    if (info.name == n) return info.policy;
  return std::nullopt;
}
std::string_view oom_name(OomPolicy p) { return to_name(p, kOoms); }
std::optional<OomPolicy> oom_from_name(std::string_view n) { return from_name(n, kOoms); }
std::string_view reuse_rule_name(ReuseRule r) { return to_name(r, kReuseRules); }
std::optional<ReuseRule> reuse_rule_from_name(std::string_view n) {
  return from_name(n, kReuseRules);
}
std::string_view paging_name(Paging p) { return to_name(p, kPagings); }
std::optional<Paging> paging_from_name(std::string_view n) { return from_name(n, kPagings); }
std::string_view map_kind_name(MapKind k) { return to_name(k, kKinds); }
std::optional<MapKind> map_kind_from_name(std::string_view n) { return from_name(n, kKinds); }

const char* config_error(const Config& c) {
  if (c.pages == 0 || c.pages > 1024) return "pages must be between 1 and 1024";
  if (c.frames < c.pages)
    return "frames must be at least pages (the first process maps every page)";
  if (c.frames > (1u << 20)) return "frames must be at most 1048576";
  if (c.words == 0 || c.words > kMaxWords) return "words must be between 1 and 4";
  if (c.procs == 0 || c.procs > 4096) return "procs must be between 1 and 4096";
  return "";
}

}  // namespace cow
