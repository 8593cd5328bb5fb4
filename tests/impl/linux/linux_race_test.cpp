// The host kernel driven by several tasks at once (LinuxCow::run_lanes):
// the races issue 14 names, each run many times with random small delays
// before every op so that the interleavings differ, and every history
// checked for linearizability against the semantics run through the same
// setup. Each run ends with a lane of reads after the race, so that what
// the race left (a lost write, a changed file) is in the history too.
//
// A violation is reported with the run's seed and history and never
// retried. How many runs overlapped (two lanes' calls were in flight at
// once, by the race clock's ticks) is printed, for docs/linux.md.
// COWCHECK_LINUX_RACE_RUNS (default 200) and COWCHECK_LINUX_RACE_SEED
// widen a run by hand.
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "impl/linux/linux_cow.h"
#include "spec/linearizability.h"
#include "spec/semantics.h"
#include "tests/impl/linux/linux_test_util.h"

namespace cow::linux_host {
namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* text = std::getenv(name);
  return text ? std::strtoull(text, nullptr, 10) : fallback;
}

int race_runs() { return static_cast<int>(env_or("COWCHECK_LINUX_RACE_RUNS", 200)); }
std::uint64_t race_seed() { return env_or("COWCHECK_LINUX_RACE_SEED", 1); }

// Up to this many rounds of `pause` before each op of a lane (about 27 ns
// each here): about the time a fault or a forced write takes, so that
// either lane may come first and they often meet in the middle.
constexpr std::uint32_t kMaxSpin = 300;

struct Scenario {
  const char* name;
  std::vector<Op> setup;  // applied one at a time, the semantics in step
  Lanes race;             // at once
  std::vector<Op> after;  // one lane, once the race is over
};

// What a program sees of an answer: how a fault was served is not compared.
Outcome observable(Outcome outcome) {
  outcome.fault = Fault::None;
  return outcome;
}

std::string history_text(const std::vector<Call>& history) {
  std::string text;
  for (const Call& call : history)
    text += fmt::format("  lane {} [{}, {}] {} -> {}\n", call.lane, call.invoked, call.returned,
                        to_string(call.op), to_string(call.outcome));
  return text;
}

// Two lanes had calls in flight at once: their intervals intersect.
bool lanes_overlapped(const std::vector<Call>& history) {
  for (const Call& a : history)
    for (const Call& b : history)
      if (a.lane < b.lane && a.invoked < b.returned && b.invoked < a.returned) return true;
  return false;
}

struct Tally {
  int runs = 0;
  int overlapped = 0;
  int calls = 0;
};

// One run of `scenario`: a fresh host, the setup (each answer the
// semantics'), the race, the reads after; the whole history checked.
// Returns why it is not linearizable, or nothing.
std::optional<std::string> run_once(const Scenario& scenario, std::uint64_t seed, Tally& tally) {
  Config config;
  LinuxCow host(config);
  host.set_lane_spin(kMaxSpin, seed);
  Semantics sem(config);
  for (const Op& op : scenario.setup) {
    Outcome want = observable(sem.expect(op));
    Outcome got = observable(host.apply(op));
    if (got != want)
      return fmt::format("setup {}: the host answered {}, the semantics {}", to_string(op),
                         to_string(got), to_string(want));
    sem.apply(op, got);
  }
  std::vector<Call> history = host.run_lanes(scenario.race);
  ++tally.runs;
  if (lanes_overlapped(history)) ++tally.overlapped;
  // The reads after run as a lane of their own, later than every call of
  // the race by the same clock.
  std::vector<Call> after = host.run_lanes(Lanes{scenario.after});
  for (Call& call : after) call.lane = static_cast<std::uint32_t>(scenario.race.size());
  history.insert(history.end(), after.begin(), after.end());
  tally.calls += static_cast<int>(history.size());
  std::optional<std::string> why = check_linearizable(sem, history);
  if (why) return fmt::format("seed {}: {}\n{}", seed, *why, history_text(history));
  return std::nullopt;
}

Tally run_scenario(const Scenario& scenario) {
  Tally tally;
  int runs = race_runs();
  for (int run = 0; run < runs; ++run) {
    std::uint64_t seed = race_seed() * 1000003 + static_cast<std::uint64_t>(run);
    std::optional<std::string> why = run_once(scenario, seed, tally);
    if (why) ADD_FAILURE() << scenario.name << ": not linearizable, " << *why;
  }
  std::printf(
      "  ~ %s: %d racing runs, %d overlapped (two lanes in flight at once), %d calls "
      "checked\n",
      scenario.name, tally.runs, tally.overlapped, tally.calls);
  return tally;
}

// Two threads of one process take a write fault on the same page, which a
// fork left shared with a third process, at once, each writing its own
// word. A fault that did not re-check the PTE after copying (pte_same)
// would install one copy over the other and lose a write: a read after
// would show a word back at 5 or 0.
Scenario two_threads_fault_on_one_cow_page() {
  return {"two threads write-fault on one COW-shared page",
          {Op::write(1, 0, 5), Op::write(1, 0, 6, 1), Op::thread(1), Op::fork(1)},
          {{Op::write(1, 0, 11, 0)}, {Op::write(2, 0, 22, 1)}},
          {Op::read(1, 0, 0), Op::read(1, 0, 1), Op::read(2, 0, 0), Op::read(2, 0, 1),
           Op::read(3, 0, 0), Op::read(3, 0, 1)}};
}

// Dirty COW's shape (CVE-2016-5195): one thread writes a read-only private
// file mapping (text) through /proc/self/mem while another drops the page
// with MADV_DONTNEED, over and over. The forced write must land in a
// private copy, never in the file: the reads after, of the file through a
// second process's text and a fresh shared mapping, must show the file's
// word, 1000; the writer's own page shows its copy or the file.
Scenario dirty_cow() {
  return {"madvise(MADV_DONTNEED) races a write through /proc/self/mem to text",
          {Op::mmap(1, 0, 1, MapKind::Text), Op::fork(1), Op::thread(1)},
          {{Op::memwrite(1, 0, 77), Op::memwrite(1, 0, 78), Op::memwrite(1, 0, 79)},
           {Op::madvise(3, 0, 1), Op::read(3, 0), Op::madvise(3, 0, 1), Op::read(3, 0),
            Op::madvise(3, 0, 1)}},
          {Op::read(2, 0), Op::mmap(2, 0, 1, MapKind::SharedFile), Op::read(2, 0), Op::read(1, 0)}};
}

// MADV_DONTNEED races a user write fault on a private anonymous page that
// a fork shares: the page is zero again or holds the write, and the other
// process keeps 5 either way.
Scenario madvise_races_a_write_fault() {
  return {"madvise(MADV_DONTNEED) races a write fault on a COW-shared page",
          {Op::write(1, 0, 5), Op::thread(1), Op::fork(1)},
          {{Op::write(1, 0, 9)}, {Op::madvise(2, 0, 1)}},
          {Op::read(1, 0), Op::read(2, 0), Op::read(3, 0)}};
}

TEST(LinuxRace, TwoThreadsWriteFaultingOnOneCowPageLoseNoWrite) {
  run_scenario(two_threads_fault_on_one_cow_page());
}

TEST(LinuxRace, DirtyCowsRaceLeavesTheFileUnchanged) { run_scenario(dirty_cow()); }

TEST(LinuxRace, MadviseRacingAWriteFaultIsLinearizable) {
  run_scenario(madvise_races_a_write_fault());
}

// The reads after the race are what tells a lost write or a changed file:
// the same history with one of them showing what the bug would leave is
// not linearizable.
std::vector<Call> one_history(const Scenario& scenario, Semantics& sem) {
  LinuxCow host(sem.config());
  host.set_lane_spin(kMaxSpin, 1);
  for (const Op& op : scenario.setup) sem.apply(op, host.apply(op));
  std::vector<Call> history = host.run_lanes(scenario.race);
  for (Call call : host.run_lanes(Lanes{scenario.after})) {
    call.lane = static_cast<std::uint32_t>(scenario.race.size());
    history.push_back(call);
  }
  return history;
}

void expect_caught(const Scenario& scenario, const Op& read, Value bug_shows) {
  Semantics sem{Config{}};
  std::vector<Call> history = one_history(scenario, sem);
  ASSERT_FALSE(check_linearizable(sem, history)) << history_text(history);
  auto it = std::find_if(history.begin(), history.end(),
                         [&](const Call& call) { return call.op == read; });
  ASSERT_NE(it, history.end());
  it->outcome = Outcome::read(bug_shows);
  EXPECT_TRUE(check_linearizable(sem, history)) << history_text(history);
}

TEST(LinuxRace, ALostWriteWouldBeCaught) {
  expect_caught(two_threads_fault_on_one_cow_page(), Op::read(1, 0, 1), 6);
}

TEST(LinuxRace, AChangedFileWouldBeCaught) {
  Op file_through_the_other_process = dirty_cow().after[0];
  expect_caught(dirty_cow(), file_through_the_other_process, 79);
}

// The races ran at once: in many runs two lanes were in flight together.
// A count, not a time: if the host ran the lanes in turns this would be 0.
// On one CPU they can only take turns.
TEST(LinuxRace, TheLanesReallyRunAtOnce) {
  cpu_set_t cpus;
  if (::sched_getaffinity(0, sizeof cpus, &cpus) != 0 || CPU_COUNT(&cpus) < 2)
    GTEST_SKIP() << "one CPU: lanes take turns";
  Tally tally;
  Scenario scenario = madvise_races_a_write_fault();
  for (std::uint64_t seed = 0; seed < 50; ++seed) ASSERT_FALSE(run_once(scenario, seed, tally));
  EXPECT_GT(tally.overlapped, 0) << tally.runs << " runs";
}

// run_lanes is general: random lanes of every op the host runs, over a
// process with a thread and a forked child, each history linearizable.
Op random_op(std::mt19937_64& random, OpSet supported) {
  std::vector<OpKind> kinds;
  for (OpKind kind : kAllOpKinds)
    if (op_in(supported, kind)) kinds.push_back(kind);
  OpKind kind = kinds[random() % kinds.size()];
  Pid pid = static_cast<Pid>(1 + random() % 5);
  Vpn vpn = static_cast<Vpn>(random() % 4);
  Value value = static_cast<Value>(1 + random() % 9);
  std::uint32_t word = static_cast<std::uint32_t>(random() % 2);
  switch (kind) {
    case OpKind::Fork: return Op::fork(pid);
    case OpKind::Vfork: return Op::vfork(pid);
    case OpKind::Thread: return Op::thread(pid);
    case OpKind::Exit: return Op::exit(pid);
    case OpKind::Exec: return Op::exec(pid);
    case OpKind::Mmap: {
      const MapKind maps[] = {MapKind::PrivateAnon, MapKind::SharedAnon, MapKind::Text,
                              MapKind::PrivateFile, MapKind::SharedFile};
      return Op::mmap(pid, vpn, 1, maps[random() % 5]);
    }
    case OpKind::Munmap: return Op::munmap(pid, vpn, 1);
    case OpKind::Madvise:
      return Op::madvise(pid, vpn, vpn < 3 ? 1 + static_cast<std::uint32_t>(random() % 2) : 1);
    case OpKind::Write: return Op::write(pid, vpn, value, word);
    case OpKind::Read: return Op::read(pid, vpn, word);
    case OpKind::Copyout: return Op::copyout(pid, vpn, value, word);
    case OpKind::Memwrite: return Op::memwrite(pid, vpn, value, word);
    case OpKind::Pin: return Op::pin_page(pid, vpn, random() % 2 == 0);
    case OpKind::Unpin: return Op::unpin(static_cast<PinId>(1 + random() % 3), word);
    default: return Op::read(pid, vpn, word);
  }
}

TEST(LinuxRace, RandomLanesOfEveryOpAreLinearizable) {
  Config config;
  int runs = race_runs();
  Tally tally;
  for (int run = 0; run < runs; ++run) {
    std::uint64_t seed = race_seed() * 7919 + static_cast<std::uint64_t>(run);
    std::mt19937_64 random(seed);
    LinuxCow host(config);
    OpSet ops = host.supported_ops();
    Scenario scenario{"random lanes",
                      {Op::mmap(1, 2, 1, MapKind::Text), Op::mmap(1, 3, 1, MapKind::SharedAnon),
                       Op::thread(1), Op::fork(1)},
                      {},
                      {}};
    std::size_t lanes = 2 + random() % 2;
    for (std::size_t i = 0; i < lanes; ++i) {
      scenario.race.emplace_back();
      for (int k = 0; k < 3; ++k) scenario.race.back().push_back(random_op(random, ops));
    }
    for (Pid pid = 1; pid <= 6; ++pid)
      for (Vpn vpn = 0; vpn < 4; ++vpn) scenario.after.push_back(Op::read(pid, vpn));
    std::optional<std::string> why = run_once(scenario, seed, tally);
    if (why) ADD_FAILURE() << "random lanes, run " << run << ": not linearizable, " << *why;
  }
  std::printf("  ~ random lanes: %d runs, %d overlapped, %d calls checked\n", tally.runs,
              tally.overlapped, tally.calls);
}

}  // namespace
}  // namespace cow::linux_host
