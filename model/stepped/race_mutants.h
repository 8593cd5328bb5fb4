// The stepped model with one race bug each: bugs that no sequence of whole
// ops shows, only an interleaving of their steps. Each names the step it
// overrides (stepped_model.h) and the Linux history it comes from. Found by
// `cowcheck race`, never by check, diff or prove, which run ops whole.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "model/stepped/stepped_model.h"

namespace cow::model {

enum class RaceMutant : std::uint8_t { NoPteRecheck, DirtyCow, GupFastNoRecheck, NoTlbFlush };

struct RaceMutantRow {
  RaceMutant id;
  std::string_view name;  // as in --impl race-mutant:NAME
  std::string_view step;  // the SteppedModel step it overrides
  std::string_view bug;   // one line: what is wrong
};

inline constexpr RaceMutantRow kRaceMutants[] = {
    {RaceMutant::NoPteRecheck, "no-pte-recheck", "wp_pte_same",
     "a write fault installs its copy without re-checking the PTE: of two threads faulting on "
     "one page, one write is lost"},
    {RaceMutant::DirtyCow, "dirty-cow", "gup_keeps_write_after_cow",
     "GUP retries without FOLL_WRITE after breaking COW; a racing MADV_DONTNEED lets a forced "
     "write land in the file's page (CVE-2016-5195)"},
    {RaceMutant::GupFastNoRecheck, "gup-fast-no-recheck", "gup_fast_changed",
     "GUP-fast keeps a pin it took while fork write-protected the page: the pin stays with the "
     "page fork shared, not the pinner's (the race 57efa1fe5957 closed)"},
    {RaceMutant::NoTlbFlush, "no-tlb-flush", "wp_flush",
     "a COW break does not flush other CPUs' cached translations: a sibling thread keeps "
     "reading the old frame"},
};

inline constexpr std::string_view kRaceMutantPrefix = "race-mutant:";

// "race-mutant:NAME" -> its row; nullopt for any other name.
std::optional<RaceMutant> race_mutant_named(std::string_view impl);
std::unique_ptr<SteppedModel> make_race_mutant(RaceMutant id, const Config& config);

}  // namespace cow::model
