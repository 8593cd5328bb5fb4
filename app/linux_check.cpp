#include "app/linux_check.h"

#include <algorithm>
#include <cstdio>
#include <mutex>
#include <string>

#include <fmt/format.h>

namespace cow {

namespace {

// The host never runs out of memory, so neither may the model beside it:
// each live process holds at most `pages` private frames, the file and the
// shared objects as many again, and pins keep frames past their process
// (the spare 1024). Past the largest machine config_error() allows, the
// model may still run out; it then drops out and faults go uncompared.
Config model_config(Config config) {
  std::uint64_t enough = std::uint64_t{config.pages} * config.procs * 2 + config.pages + 1024;
  config.frames = static_cast<std::uint32_t>(
      std::min(std::max<std::uint64_t>(enough, config.frames), std::uint64_t{1} << 20));
  return config;
}

std::string fault_difference(const Op& op, Fault host, Fault model) {
  if (host == Fault::CowCopy && model == Fault::CowReuse)
    return "the host copied where the model reuses: in the model the writer maps the page alone";
  if (host == Fault::CowReuse && model == Fault::CowCopy)
    return "the host reused where the model copies: in the model the page is still shared";
  return fmt::format("the host served the {} as {}, the model as {}", op_kind_name(op.kind),
                     fault_name(host), fault_name(model));
}

// Whether a page was brought in is no COW decision, and the host brings
// pages in on its own schedule: fork copies no PTE of a mapping without
// anonymous pages, so the child pages in where the model's fork copied the
// PTE; a read fault maps the page-cache pages around it (fault-around), so
// the host finds present what the model pages in. docs/linux.md, "Where
// the host maps more or less than the model".
Fault cow_decision(Fault f) { return f == Fault::PageIn ? Fault::None : f; }

// Once per run of the oracle, not per sequence: a campaign makes thousands.
void note_outcomes_only(const linux_host::LinuxCow& host) {
  static std::once_flag once;
  std::call_once(once, [&host] { fmt::print(stderr, "cowcheck: {}\n", host.describe()); });
}

}  // namespace

LinuxChecked::LinuxChecked(const Config& config, const linux_host::LinuxOptions& options)
    : host_(config, options), model_(model_config(config)), reuse_(config.reuse) {
  if (!host_.reads_pfns()) note_outcomes_only(host_);
}

Outcome LinuxChecked::apply(const Op& op) {
  finding_.reset();
  allowance_.clear();
  // Every access the host reports a fault for: write, read, copyout, pin.
  bool compare = host_.reads_pfns() && model_in_step_ && op_touches_page(op.kind);
  // Who shares the space an exit or exec leaves, and its name until then.
  bool leaves = host_.thp() && (op.kind == OpKind::Exit || op.kind == OpKind::Exec);
  Pid left = leaves ? space_of(op.pid) : 0;
  std::vector<Pid> sharers = leaves ? pids_in_space(left) : std::vector<Pid>{};
  Outcome got = host_.apply(op);
  Outcome want = model_.apply(op);
  if (want.status == Status::OutOfMemory) model_in_step_ = false;
  if (host_.thp() && got.status == Status::Ok && want.status == Status::Ok) {
    track_thp(op, got);
    if (leaves) rename_pinned_space(op.pid, left, sharers);
  }
  if (!compare || !faults_in_step_ || got.status != Status::Ok || want.status != Status::Ok)
    return got;
  if (cow_decision(got.fault) != cow_decision(want.fault)) judge_fault(op, got.fault, want.fault);
  if (!finding_ && host_.last_thp().reused_whole) check_reused_with_thp(op);
  return got;
}

std::vector<Call> LinuxChecked::run_lanes(const Lanes& lanes) {
  finding_.reset();
  allowance_.clear();
  model_in_step_ = false;
  return host_.run_lanes(lanes);
}

// A difference is a finding unless the semantics leaves the host the
// choice and the host's own report says which choice it made and why.
void LinuxChecked::judge_fault(const Op& op, Fault host, Fault model) {
  const linux_host::ThpFacts& thp = host_.last_thp();
  bool optional = reuse_ == ReuseRule::Optional;
  if (host == Fault::None && model == Fault::CowReuse && thp.reused_ahead) {
    allowance_ =
        "made writable with its whole huge page by an earlier write of this process that reused "
        "the PMD in place (the model reuses it only now; it was the writer's alone then too)";
    return;
  }
  if (host == Fault::CowCopy && model == Fault::CowReuse) {
    std::string why =
        thp.folio_before
            ? "the page is part of a transparent huge page (a large folio), and the kernel "
              "reuses a page of one only when every reference to the folio is a mapping in the "
              "writer's page tables and more than one of its pages is mapped "
              "(__wp_can_reuse_large_anon_folio); otherwise it copies, though the writer maps "
              "the page alone"
            : "a copy where the model reuses";
    if (optional) {
      allowance_ = fmt::format("copied where reuse was possible (--reuse optional): {}", why);
      return;
    }
    if (thp.folio_before) {
      finding_ = Violation{InvariantId::REUSE, op.pid, op.vpn, kNoFrame,
                           fault_difference(op, host, model) + "; " + why +
                               " (a copy the semantics allows under --reuse optional)"};
      return;
    }
  }
  finding_ =
      Violation{InvariantId::REUSE, op.pid, op.vpn, kNoFrame, fault_difference(op, host, model)};
}

std::vector<Pid> LinuxChecked::pids_in_space(Pid space) const {
  std::vector<Pid> pids;
  std::optional<Snapshot> state = model_.snapshot();
  if (state)
    for (const ProcView& p : state->procs)
      if (p.space == space) pids.push_back(p.pid);
  return pids;
}

// A space is named by its lowest live pid, so an exit or exec that leaves
// it renames it while other tasks (threads, a vfork parent) still run in
// it, and ends it when none does: its pins then pin pages no process maps.
void LinuxChecked::rename_pinned_space(Pid leaver, Pid old_name, const std::vector<Pid>& sharers) {
  std::optional<Pid> now;
  std::optional<Snapshot> state = model_.snapshot();
  if (state)
    for (Pid pid : sharers)
      for (const ProcView& p : state->procs)
        if (pid != leaver && p.pid == pid && !now) now = p.space;
  for (auto it = thp_pins_.begin(); it != thp_pins_.end();) {
    if (it->second != old_name) {
      ++it;
    } else if (now) {
      (it++)->second = *now;
    } else {
      it = thp_pins_.erase(it);
    }
  }
}

Pid LinuxChecked::space_of(Pid pid) const {
  std::optional<Snapshot> state = model_.snapshot();
  if (state)
    for (const ProcView& p : state->procs)
      if (p.pid == pid) return p.space;
  return pid;
}

// A pin taken on a page still in the huge page pins the whole folio
// (a pin that copied the page holds only its copy); a fork of the space
// that holds it then copies every page of it for the child. Exit and exec
// leave a space (rename_pinned_space).
void LinuxChecked::track_thp(const Op& op, const Outcome& got) {
  switch (op.kind) {
    case OpKind::Pin:
      if (host_.last_thp().folio_before && got.fault != Fault::CowCopy &&
          got.fault != Fault::ZeroFill)
        thp_pins_[got.pin] = space_of(op.pid);
      break;
    case OpKind::Unpin: thp_pins_.erase(op.pin); break;
    case OpKind::Fork: judge_fork(op, got); break;
    default: break;
  }
}

namespace {

// How many of the parent's pages the model's fork gave the child a frame
// of its own.
std::uint32_t copied_by_fork(const Snapshot& state, Pid parent, Pid child) {
  std::uint32_t copied = 0;
  for (const PteView& pte : state.ptes) {
    if (pte.pid != child || !pte.present || pte.kind != MapKind::PrivateAnon) continue;
    const PteView* from = state.find_pte(parent, pte.vpn);
    if (from && from->present && from->frame != pte.frame) ++copied;
  }
  return copied;
}

}  // namespace

// A pin holds the whole folio it lands in, so a fork of the space that
// pinned a page of the huge page copies every page of it for the child
// (copy_present_ptes: folio_maybe_dma_pinned counts pins per folio), where
// the model copies the pinned page alone and shares the rest. From then on
// the host's processes share fewer pages than the model's, and no later
// fault of theirs can be judged against the model's: the comparison of
// faults stops for the rest of the run, and says so.
void LinuxChecked::judge_fork(const Op& op, const Outcome& got) {
  if (!faults_in_step_) return;
  std::optional<Snapshot> state = model_.snapshot();
  if (!state) return;
  Pid space = space_of(op.pid);
  auto pin = std::find_if(thp_pins_.begin(), thp_pins_.end(),
                          [&](const auto& entry) { return entry.second == space; });
  std::uint32_t model_copied = copied_by_fork(*state, space, got.child);
  std::uint32_t host_copied = host_.last_fork_copied();
  if (pin == thp_pins_.end() || host_copied <= model_copied) return;
  std::string why = fmt::format(
      "the fork copied {} pages for the child where the model copies {}: pin {} holds their huge "
      "page, and a fork copies every page of a large folio that may be pinned "
      "(folio_maybe_dma_pinned counts pins per folio)",
      host_copied, model_copied, pin->first);
  if (reuse_ == ReuseRule::Optional) {
    allowance_ = fmt::format(
        "copied where the model shares (--reuse optional): {}; faults are not compared with the "
        "model's for the rest of this run (the host's processes share fewer pages than the "
        "model's)",
        why);
    faults_in_step_ = false;
    return;
  }
  finding_ = Violation{InvariantId::REUSE, op.pid, std::nullopt, kNoFrame,
                       why + " (a copy the semantics allows under --reuse optional)"};
}

// The host reused a page with its PMD intact: every page of that huge page
// became writable at once. Each one a fork write-protected must be the
// writer's alone in the model too, or the host has let a write through to
// a page another process still maps.
void LinuxChecked::check_reused_with_thp(const Op& op) {
  std::optional<Snapshot> state = model_.snapshot();
  if (!state) return;
  Pid space = op.pid;
  for (const ProcView& p : state->procs)
    if (p.pid == op.pid) space = p.space;
  for (const PteView& pte : state->ptes) {
    if (pte.pid != space || pte.vpn == op.vpn || !pte.present || !pte.cow ||
        pte.kind != MapKind::PrivateAnon || pte.exclusive)
      continue;
    for (const FrameView& f : state->frames) {
      if (f.frame != pte.frame || f.refcount <= 1) continue;
      finding_ = Violation{
          InvariantId::REUSE, op.pid, pte.vpn, kNoFrame,
          fmt::format("the host made vpn {} writable with its whole huge page at the write to vpn "
                      "{}, but in the model the page is still shared (refcount {})",
                      pte.vpn, op.vpn, f.refcount)};
      return;
    }
  }
}

}  // namespace cow
