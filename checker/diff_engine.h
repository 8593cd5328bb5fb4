// The differential engine: the same op sequences drive a reference (the
// model) and an implementation in lock step. Outcomes are compared after
// every op, canonical snapshots every `snapshot_every` ops and at the end;
// the first difference is a DIFF violation, shrunk like any other.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "checker/campaign.h"
#include "checker/finding.h"
#include "checker/harness.h"
#include "checker/snapshot_diff.h"

namespace cow {

class DiffHarness : public Stepper {
 public:
  // `snapshot_every` 1 compares the states after every op. `scratch`, when
  // given, is comparison space reused across harnesses (a campaign runs
  // thousands); it must outlive this one.
  DiffHarness(std::unique_ptr<Implementation> reference, std::unique_ptr<Implementation> impl,
              const Config& config, int snapshot_every, CanonicalComparer* scratch = nullptr);

  // Applies `op` to both. DIFF when the outcomes differ or (at the interval)
  // the snapshots do; CRASH when the implementation throws.
  std::optional<Violation> step(const Op& op) override;
  // Compares the snapshots unless the last step did.
  std::optional<Violation> finish() override;
  // Compares the snapshots now.
  std::optional<Violation> compare_snapshots();

  const Semantics& semantics() const override { return semantics_; }
  const Outcome& last_outcome() const { return last_outcome_; }
  const Implementation& impl() const { return *impl_; }

 private:
  std::unique_ptr<Implementation> reference_;
  std::unique_ptr<Implementation> impl_;
  Semantics semantics_;
  int snapshot_every_;
  int steps_since_compare_ = 0;
  Outcome last_outcome_;
  std::unique_ptr<CanonicalComparer> own_comparer_;
  CanonicalComparer* comparer_;
};

// Runs `ops` in lock step, comparing the states before the first op and
// after every op, and records each step (what the implementation returned,
// and when asked its state) up to the first difference. `isolated` as for
// trace_from_start (checker/campaign.h).
Trace trace_diff(const ImplFactory& reference, const ImplFactory& impl, const Config& config,
                 const std::vector<Op>& ops, bool keep_snapshots, bool isolated = true);

struct DiffOptions {
  CheckOptions check;      // config, seed, runs, max_ops, progress
  int snapshot_every = 8;  // the campaign's interval; shrinking compares after every op
};

// A RapidCheck campaign of `make` against `reference`. A finding is shrunk
// to a sequence that differs at its last op when states are compared after
// every op, so it replays as it was written.
CheckResult diff_random(const ImplFactory& reference, const ImplFactory& make,
                        const DiffOptions& options);

}  // namespace cow
