#include "checker/diff_engine.h"

#include <fmt/format.h>

#include <chrono>
#include <exception>

#include "checker/snapshot_diff.h"

namespace cow {

DiffHarness::DiffHarness(std::unique_ptr<Implementation> reference,
                         std::unique_ptr<Implementation> impl, const Config& config,
                         int snapshot_every, CanonicalComparer* scratch)
    : reference_(std::move(reference)),
      impl_(std::move(impl)),
      semantics_(config),
      snapshot_every_(snapshot_every < 1 ? 1 : snapshot_every),
      own_comparer_(scratch ? nullptr : std::make_unique<CanonicalComparer>()),
      comparer_(scratch ? scratch : own_comparer_.get()) {}

std::optional<Violation> DiffHarness::step(const Op& op) {
  Outcome want;
  try {
    want = reference_->apply(op);
  } catch (const std::exception& e) {
    return stop_violation(e, op.pid, to_string(op) + " in the reference");
  }
  try {
    last_outcome_ = impl_->apply(op);
  } catch (const UnsupportedOp&) {
    throw;  // bad input for this implementation, not something it did
  } catch (const std::exception& e) {
    return stop_violation(e, op.pid, to_string(op));
  }
  semantics_.apply(op, want);
  if (!(last_outcome_ == want)) {
    Violation v{InvariantId::DIFF, op.pid, std::nullopt, kNoFrame,
                fmt::format("{} returned {}, the model returned {}", to_string(op),
                            to_string(last_outcome_), to_string(want))};
    if (op.kind == OpKind::Write || op.kind == OpKind::Read) v.vpn = op.vpn;
    return v;
  }
  if (++steps_since_compare_ < snapshot_every_) return std::nullopt;
  return compare_snapshots();
}

std::optional<Violation> DiffHarness::finish() {
  if (steps_since_compare_ == 0) return std::nullopt;
  return compare_snapshots();
}

std::optional<Violation> DiffHarness::compare_snapshots() {
  steps_since_compare_ = 0;
  std::optional<Snapshot> want = reference_->snapshot();
  std::optional<Snapshot> got;
  try {
    got = impl_->snapshot();
  } catch (const std::exception& e) {
    return stop_violation(e, 0, "snapshot");
  }
  if (!want || !got) return std::nullopt;  // a black box is compared on outcomes only
  if (comparer_->equal(*want, *got)) return std::nullopt;
  std::optional<Violation> v = snapshot_difference(canonicalize(*want), canonicalize(*got));
  if (!v) v = Violation{InvariantId::DIFF, 0, std::nullopt, kNoFrame, "the states differ"};
  v->detail += " (frames numbered canonically)";
  return v;
}

Trace trace_diff(const ImplFactory& reference, const ImplFactory& impl, const Config& config,
                 const std::vector<Op>& ops, bool keep_snapshots, bool isolated) {
  Trace trace;
  std::unique_ptr<Implementation> instance;
  try {
    instance = impl();
    if (isolated) instance->isolate();
  } catch (const std::exception& e) {
    trace.violation = stop_violation(e, 0, "the implementation could not start");
    return trace;
  }
  DiffHarness harness(reference(), std::move(instance), config, 1);
  trace.violation = harness.compare_snapshots();
  if (trace.violation) return trace;
  for (const Op& op : ops) {
    trace.violation = harness.step(op);
    TraceStep& step = trace.steps.emplace_back(TraceStep{op, harness.last_outcome(), {}});
    if (keep_snapshots) step.after = harness.impl().snapshot();
    if (trace.violation) break;
  }
  return trace;
}

CheckResult diff_random(const ImplFactory& reference, const ImplFactory& make,
                        const DiffOptions& asked) {
  DiffOptions options = asked;
  auto start = std::chrono::steady_clock::now();
  StartProbe probe = probe_start(make, asked.check.ops);
  if (probe.stopped) {
    CheckResult out = start_failure_result(*probe.stopped);
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return out;
  }
  if (!probe.error.empty()) {
    CheckResult out;
    out.error = probe.error;
    return out;
  }
  options.check.ops = probe.ops;
  options.check.maps = probe.maps;
  const Config& config = options.check.config;
  CanonicalComparer scratch;
  CampaignResult campaign = run_campaign(options.check, [&] {
    return std::make_unique<DiffHarness>(reference(), make(), config, options.snapshot_every,
                                         &scratch);
  });
  CheckResult out = result_counts(campaign);
  if (campaign.failing && out.error.empty()) {
    // Compared after every op, the same sequence may differ earlier, and so
    // for another reason: shrink toward what the replay will see.
    Trace first = trace_diff(reference, make, config, *campaign.failing, false, false);
    InvariantId id = first.violation ? first.violation->id : campaign.violation.id;
    int costly = 0, skipped = 0;
    auto failing_prefix = [&](const std::vector<Op>& ops) -> std::optional<std::size_t> {
      if (costly_to_rerun(id) && costly >= options.check.costly_shrink_runs) {
        ++skipped;  // out of budget: counts as passing, unrun
        return std::nullopt;
      }
      Trace t = trace_diff(reference, make, config, ops, false, false);
      if (!t.violation || t.violation->id != id) return std::nullopt;
      if (costly_to_rerun(id)) ++costly;
      return t.steps.size();
    };
    std::vector<Op> ops = failing_prefix(*campaign.failing)
                              ? shrink_ops(*campaign.failing, failing_prefix)
                              : *campaign.failing;
    Trace trace = trace_diff(reference, make, config, ops, false);
    out.finding = finding_from_trace(std::move(ops), trace, campaign.violation);
    if (campaign.shrinks_skipped > 0)
      out.finding->notes.push_back(campaign_shrink_note(campaign.shrinks_skipped, id));
    if (skipped > 0)
      out.finding->notes.push_back(shrink_note(skipped, options.check.costly_shrink_runs, id));
  }
  out.shrink_seconds = campaign.shrink_seconds;
  out.seconds = campaign.seconds;
  return out;
}

}  // namespace cow
