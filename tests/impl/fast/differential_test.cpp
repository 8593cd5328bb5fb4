// The fast implementation against the model in lock step (the differential
// engine), and the engine itself: it must pass equal implementations, catch
// every seeded bug with a small counterexample, and replay what it wrote.
#include <algorithm>
#include <filesystem>
#include <random>
#include <span>
#include <stdexcept>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "app/registry.h"
#include "app/replay_by_name.h"
#include "checker/cow_file.h"
#include "checker/diff_engine.h"
#include "checker/op_gen.h"
#include "checker/snapshot_diff.h"
#include "impl/fast/fast.h"

namespace cow {
namespace {

ImplFactory named(const std::string& name, const Config& config) {
  return [name, config] { return make_implementation(name, config); };
}

// One generated sequence, states compared after every op.
void lock_step(const std::string& impl, const Config& config) {
  std::vector<GenOp> generated = *gen_ops(config);
  DiffHarness harness(make_implementation("model", config), make_implementation(impl, config),
                      config, 1);
  std::vector<std::string> done;
  for (const GenOp& g : generated) {
    std::optional<Op> op = resolve(g, harness.semantics());
    if (!op) continue;
    done.push_back(to_string(*op));
    if (std::optional<Violation> v = harness.step(*op)) {
      RC_LOG() << ::testing::PrintToString(done) << "\n";
      RC_FAIL(to_string(*v));
    }
  }
}

RC_GTEST_PROP(FastMatchesModel, Eager, ()) { lock_step("fast", Config{}); }
RC_GTEST_PROP(FastMatchesModel, SharedTables, ()) { lock_step("fast:shared-tables", Config{}); }
// Few frames and many words: out-of-memory, and copies that must carry every word.
RC_GTEST_PROP(FastMatchesModel, EagerShortOfFrames, ()) { lock_step("fast", Config{3, 5, 6, 4}); }
RC_GTEST_PROP(FastMatchesModel, SharedTablesShortOfFrames, ()) {
  lock_step("fast:shared-tables", Config{3, 5, 6, 4});
}

TEST(FastMatchesModel, AcrossLeafTables) {
  Config config{600, 700, 4, 2};  // two leaf tables per process
  for (const char* impl : {"fast", "fast:shared-tables"}) {
    DiffOptions options;
    options.check.config = config;
    options.check.runs = 25;
    options.check.max_ops = 30;
    options.snapshot_every = 1;
    CheckResult r = diff_random(named("model", config), named(impl, config), options);
    EXPECT_FALSE(r.finding) << impl << ": " << to_string(r.finding->violation);
    EXPECT_TRUE(r.error.empty()) << r.error;
  }
}

// The generators write the low pages only; these ops reach the second leaf
// table too, where a shared table is unshared or reclaimed on its own.
TEST(FastMatchesModel, WritesInEveryLeafTable) {
  Config config{1024, 1200, 6, 2};
  std::vector<Op> ops = {Op::write(1, 700, 1), Op::fork(1),           Op::write(2, 700, 2),
                         Op::read(1, 700),     Op::write(1, 5, 3),    Op::fork(2),
                         Op::exit(1),          Op::write(2, 1000, 4), Op::write(3, 700, 5),
                         Op::write(2, 6, 6),   Op::exit(3),           Op::write(2, 701, 7),
                         Op::read(2, 700),     Op::write(2, 1023, 8)};
  for (const char* impl : {"fast", "fast:shared-tables"}) {
    Trace t = trace_diff(named("model", config), named(impl, config), config, ops, false);
    EXPECT_FALSE(t.violation) << impl << ": " << to_string(*t.violation);
    EXPECT_EQ(t.steps.size(), ops.size());
  }
}

// A random sequence of every op of docs/mechanism.md on `vpns`, of live
// pids as far as the semantics can tell without the implementation.
std::vector<Op> random_ops(const Config& config, std::span<const Vpn> vpns, std::uint32_t seed,
                           int length) {
  std::mt19937 rng(seed);
  Semantics sem(config);
  std::vector<Op> ops;
  for (int i = 0; i < length; ++i) {
    std::vector<Pid> live;
    for (const auto& [pid, proc] : sem.processes()) live.push_back(pid);
    if (live.empty()) break;
    Pid pid = live[rng() % live.size()];
    Vpn vpn = vpns[rng() % vpns.size()];
    Op op;
    switch (rng() % 16) {
      case 0:
      case 1: op = Op::fork(pid); break;
      case 2: op = live.size() > 1 ? Op::exit(pid) : Op::vfork(pid); break;
      case 3: op = rng() % 2 ? Op::exec(pid) : Op::vfork(pid); break;
      case 4: op = Op::mmap(pid, vpn, 1 + rng() % 2, static_cast<MapKind>(1 + rng() % 5)); break;
      case 5: op = Op::munmap(pid, vpn, 1); break;
      case 6:
      case 7: op = Op::swapout(pid, vpn); break;
      case 8: op = Op::pin_page(pid, vpn, rng() % 2 == 0); break;
      case 9: op = Op::unpin(1 + rng() % sem.next_pin(), rng() % 2); break;
      case 10: op = Op::copyout(pid, vpn, 1 + rng() % 9, rng() % 2); break;
      case 11:
      case 12: op = Op::read(pid, vpn, rng() % 2); break;
      default: op = Op::write(pid, vpn, 1 + rng() % 9, rng() % 2); break;
    }
    if (op.vpn + std::max<std::uint32_t>(op.count, 1) > config.pages) op.count = 1;
    ops.push_back(op);
    sem.apply(op, sem.expect(op));  // only to pick live pids; the engines check
  }
  return ops;
}

constexpr ReusePolicy kPolicies[] = {ReusePolicy::Exclusive, ReusePolicy::MapCount,
                                     ReusePolicy::PageCount};
constexpr OomPolicy kOoms[] = {OomPolicy::Error, OomPolicy::Kill};

// Every op on pages of two leaf tables (the generators reach vpns below 256
// only), under each reuse and OOM policy: where a shared leaf table is
// unshared, reclaimed, swapped through and copied early.
TEST(FastMatchesModel, EveryOpInEveryLeafTable) {
  const Vpn vpns[] = {0, 1, 510, 511, 512, 513, 599};
  for (ReusePolicy policy : kPolicies)
    for (OomPolicy oom : kOoms) {
      Config config{600, 612, 5, 2, policy, oom};
      for (std::uint32_t seed = 1; seed <= 6; ++seed) {
        std::vector<Op> ops = random_ops(config, vpns, seed, 60);
        for (const char* impl : {"fast", "fast:shared-tables"}) {
          Trace t = trace_diff(named("model", config), named(impl, config), config, ops, false);
          EXPECT_FALSE(t.violation) << impl << " " << policy_name(policy) << " " << oom_name(oom)
                                    << " seed " << seed << ": " << to_string(*t.violation);
        }
      }
    }
}

// The whole canonical snapshot, not only what the engine's comparer looks
// at: processes, every PTE's kind and bits and slot, frames with their cache
// flag, slots, pins.
TEST(FastMatchesModel, WholeCanonicalSnapshotsAfterEveryOp) {
  const Vpn vpns[] = {0, 1, 2, 3};
  for (ReusePolicy policy : kPolicies)
    for (OomPolicy oom : kOoms) {
      Config config{4, 7, 5, 2, policy, oom};
      for (std::uint32_t seed = 1; seed <= 150; ++seed) {
        std::vector<Op> ops = random_ops(config, vpns, seed, 40);
        for (const char* impl : {"fast", "fast:shared-tables"}) {
          std::unique_ptr<Implementation> model = make_implementation("model", config);
          std::unique_ptr<Implementation> fast = make_implementation(impl, config);
          for (std::size_t i = 0; i < ops.size(); ++i) {
            Outcome want = model->apply(ops[i]);
            ASSERT_EQ(fast->apply(ops[i]), want)
                << impl << " seed " << seed << " op " << i << ": " << to_string(ops[i]);
            Snapshot a = canonicalize(*model->snapshot());
            Snapshot b = canonicalize(*fast->snapshot());
            ASSERT_EQ(a, b) << impl << " " << policy_name(policy) << " " << oom_name(oom)
                            << " seed " << seed << " op " << i << ": " << to_string(ops[i])
                            << "\nmodel:\n"
                            << to_string(a) << "fast:\n"
                            << to_string(b);
          }
        }
      }
    }
}

TEST(DiffHarness, EqualImplementationsDoNotDiffer) {
  Config config{};
  Trace t = trace_diff(named("model", config), named("model", config), config,
                       {Op::fork(1), Op::write(2, 0, 1), Op::exit(1), Op::read(2, 0)}, true);
  EXPECT_FALSE(t.violation);
  ASSERT_EQ(t.steps.size(), 4u);
  EXPECT_EQ(t.steps[3].outcome, Outcome::read(1));
  EXPECT_TRUE(t.steps[3].after.has_value());
}

TEST(DiffHarness, AnOutcomeDifferenceIsCaughtAtItsOp) {
  Config config{};
  Trace t = trace_diff(named("model", config), named("mutant:copy-always", config), config,
                       {Op::fork(1), Op::exit(2), Op::write(1, 0, 1), Op::read(1, 0)}, false);
  ASSERT_TRUE(t.violation);
  EXPECT_EQ(t.violation->id, InvariantId::DIFF);
  EXPECT_EQ(t.steps.size(), 3u);
  EXPECT_NE(t.violation->detail.find("cow-copy"), std::string::npos) << t.violation->detail;
}

TEST(DiffHarness, AStateDifferenceIsCaughtAtTheIntervalOrTheEnd) {
  Config config{};
  std::vector<Op> ops = {Op::fork(1), Op::exit(1)};  // outcomes agree; the frames do not
  Trace t = trace_diff(named("model", config), named("fast-mutant:free-shared-table", config),
                       config, ops, false);
  ASSERT_TRUE(t.violation);
  EXPECT_EQ(t.violation->id, InvariantId::DIFF);
  EXPECT_EQ(t.steps.size(), 2u);
  EXPECT_EQ(t.violation->pid, 2u) << "names the page that still maps the freed frame";

  DiffHarness every8(make_implementation("model", config),
                     make_implementation("fast-mutant:free-shared-table", config), config, 8);
  for (const Op& op : ops) EXPECT_FALSE(every8.step(op));
  std::optional<Violation> at_end = every8.finish();
  ASSERT_TRUE(at_end);
  EXPECT_EQ(at_end->id, InvariantId::DIFF);
  EXPECT_FALSE(every8.finish()) << "nothing new to compare";
}

class Throws : public Implementation {
 public:
  Outcome apply(const Op&) override { throw std::logic_error("boom"); }
  std::optional<Snapshot> snapshot() const override { return std::nullopt; }
};

TEST(DiffHarness, AThrowIsACrash) {
  Config config{};
  Trace t = trace_diff(
      named("model", config), [] { return std::make_unique<Throws>(); }, config, {Op::fork(1)},
      false);
  ASSERT_TRUE(t.violation);
  EXPECT_EQ(t.violation->id, InvariantId::CRASH);
  EXPECT_NE(t.violation->detail.find("boom"), std::string::npos);
}

// The comparer must say exactly what comparing canonicalize()d snapshots says.
TEST(CanonicalComparer, AgreesWithCanonicalize) {
  Config config{3, 6, 5, 2};
  std::vector<Snapshot> snaps;
  std::mt19937 rng(3);
  for (const char* impl : {"model", "fast", "fast:shared-tables", "fast-mutant:free-shared-table",
                           "fast-mutant:unshare-no-refcount", "mutant:exit-leaks"}) {
    std::unique_ptr<Implementation> i = make_implementation(impl, config);
    Semantics sem(config);
    for (int n = 0; n < 30; ++n) {
      std::vector<Pid> live;
      for (const auto& [pid, proc] : sem.processes()) live.push_back(pid);
      Pid pid = live[rng() % live.size()];
      Op op = rng() % 3 == 0   ? Op::fork(pid)
              : rng() % 4 == 0 ? (live.size() > 1 ? Op::exit(pid) : Op::read(pid, 0))
                               : Op::write(pid, rng() % 3, 1 + rng() % 3);
      Outcome o;
      try {
        o = i->apply(op);
      } catch (const std::logic_error&) {
        break;  // a mutant's own panic: its run ends here
      }
      sem.apply(op, o);
      snaps.push_back(*i->snapshot());
    }
  }
  // A renamed copy of a snapshot is equal to it.
  Snapshot renamed = snaps[10];
  for (PteView& p : renamed.ptes)
    if (p.frame != kNoFrame) p.frame = 5 - p.frame;
  for (FrameView& f : renamed.frames) f.frame = 5 - f.frame;
  std::reverse(renamed.frames.begin(), renamed.frames.end());
  snaps.push_back(renamed);

  CanonicalComparer comparer;
  int equal = 0;
  for (const Snapshot& a : snaps)
    for (const Snapshot& b : snaps) {
      bool want = canonicalize(a) == canonicalize(b);
      ASSERT_EQ(comparer.equal(a, b), want) << to_string(a) << "vs\n" << to_string(b);
      equal += want;
      if (!want) {
        EXPECT_TRUE(snapshot_difference(canonicalize(a), canonicalize(b)));
      }
    }
  EXPECT_GT(equal, static_cast<int>(snaps.size())) << "some distinct runs reach equal states";
  EXPECT_TRUE(comparer.equal(snaps[10], renamed));
}

// Every seeded bug of the fast implementation is caught by the differential
// engine alone, shrunk to a few ops, and replays from its file.
TEST(DiffRandom, CatchesEveryFastMutantWithASmallCounterexample) {
  for (const fast::FastVariant& v : fast::fast_variants()) {
    if (!v.is_mutant) continue;
    std::string name(v.name);
    // The index-shift bug lives in vpns 256..511: it needs that many pages.
    Config config = name.ends_with("index-shift") ? Config{512, 1024, 8, 2} : Config{};
    DiffOptions options;
    options.check.config = config;
    options.check.runs = 500;
    // A stale translation shows only as fork, read, write, read of one page:
    // among every op kind that sequence is rare, so it gets the core ops.
    if (name.ends_with("stale-tlb")) options.check.ops = kCoreOps;
    CheckResult r = diff_random(named("model", config), named(name, config), options);
    ASSERT_TRUE(r.finding) << name << " was not caught";
    EXPECT_EQ(r.finding->violation.id, InvariantId::DIFF)
        << name << ": " << to_string(r.finding->violation);
    EXPECT_LE(r.finding->ops.size(), 6u) << name;
    EXPECT_TRUE(r.finding->reproduced) << name;

    CowFile file;
    file.impl = name;
    file.config = config;
    file.invariant = InvariantId::DIFF;
    file.ops = r.finding->ops;
    std::optional<Trace> own = replay_cow(parse_cow(format_cow(file), name), name, false);
    ASSERT_TRUE(own && own->violation) << name;
    EXPECT_EQ(own->violation->id, InvariantId::DIFF);
    EXPECT_EQ(own->steps.size(), file.ops.size()) << name << " differs before its last op";
    std::optional<Trace> model = replay_cow(file, "model", false);
    ASSERT_TRUE(model);
    EXPECT_FALSE(model->violation) << name;
  }
}

TEST(DiffRandom, PassesTheCorrectFastImplementations) {
  for (const char* impl : {"fast", "fast:shared-tables"}) {
    DiffOptions options;
    options.check.runs = 300;
    options.check.max_ops = 60;
    CheckResult r = diff_random(named("model", Config{}), named(impl, Config{}), options);
    EXPECT_FALSE(r.finding) << impl << ": " << to_string(r.finding->violation);
    EXPECT_EQ(r.runs, 300);
    EXPECT_GT(r.ops, 300u);
  }
}

TEST(DiffRandom, TheCommittedFastMutantCounterexamplesReplay) {
  std::filesystem::path dir = std::filesystem::path(COWCHECK_SOURCE_DIR) / "counterexamples";
  int found = 0;
  int mutants = 0;
  for (const fast::FastVariant& v : fast::fast_variants()) {
    if (!v.is_mutant) continue;
    ++mutants;
    std::filesystem::path path = dir / cow_file_name(v.name);
    ASSERT_TRUE(std::filesystem::exists(path)) << path;
    CowFile file = read_cow(path);
    EXPECT_EQ(file.invariant, InvariantId::DIFF) << path;
    std::optional<Trace> own = replay_cow(file, file.impl, false);
    ASSERT_TRUE(own && own->violation) << path;
    EXPECT_EQ(own->violation->id, InvariantId::DIFF) << path;
    ++found;
  }
  EXPECT_EQ(found, mutants);
}

}  // namespace
}  // namespace cow
