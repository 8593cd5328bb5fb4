#include "checker/symbolic/bug.h"

#include <array>

namespace cow::symbolic {

namespace {

using model::kMutants;
using model::MutantRow;

constexpr bool encoded(const MutantRow& row) {
  return row.id != Mutant::None && row.not_encoded.empty();
}

constexpr std::size_t kEncodedCount = [] {
  std::size_t n = 0;
  for (const MutantRow& row : kMutants) n += encoded(row);
  return n;
}();

constexpr std::array<Bug, kEncodedCount> kEncoded = [] {
  std::array<Bug, kEncodedCount> bugs{};
  std::size_t n = 0;
  for (const MutantRow& row : kMutants)
    if (encoded(row)) bugs[n++] = row.id;
  return bugs;
}();

// The row "mutant:NAME" names; only names with the prefix count.
const MutantRow* row_of(std::string_view impl) {
  if (!impl.starts_with(model::kMutantPrefix)) return nullptr;
  std::optional<Mutant> id = model::mutant_named(impl);
  return id ? &model::mutant_row(*id) : nullptr;
}

}  // namespace

std::span<const Bug> all_bugs() { return kEncoded; }

std::optional<std::string_view> not_encoded(std::string_view impl) {
  const MutantRow* row = row_of(impl);
  if (!row || row->not_encoded.empty()) return std::nullopt;
  return row->not_encoded;
}

std::string impl_of(Bug bug) {
  if (bug == Mutant::None) return "model";
  return std::string(model::kMutantPrefix) + std::string(model::mutant_row(bug).name);
}

std::optional<Bug> bug_of(std::string_view impl) {
  if (impl == "model") return Mutant::None;
  const MutantRow* row = row_of(impl);
  if (!row || !encoded(*row)) return std::nullopt;
  return row->id;
}

}  // namespace cow::symbolic
