// A worker that serves run after run (impl/plugin/plugin_impl.h): the next
// run takes it and resets it by destroy() + create(); a plug-in with global
// state that refuses a second live instance is reused all the same; one
// whose create() refuses, or that shows state a destroyed instance left, is
// not; a stop in a reused worker counts only when a fresh worker stops too,
// and a finding is shown from a fresh worker, so that it replays alone.
#include <gtest/gtest.h>

#include <string>

#include "checker/diff_engine.h"
#include "checker/random_engine.h"
#include "checker/replay.h"
#include "impl/plugin/plugin_impl.h"
#include "model/cow_model.h"

namespace cow::plugin {
namespace {

std::string test_plugin(const std::string& name) {
  return std::string(TEST_PLUGIN_DIR) + "/" + name + ".so";
}

WorkerLimits quick() {
  WorkerLimits limits;
  limits.op_timeout = std::chrono::milliseconds(200);
  return limits;
}

// A run of a few ops on a fresh instance from the pool (or a new worker).
bool run_reused(const std::string& library, const Config& config = {}) {
  PluginImplementation impl(library, config, quick(), WORKER);
  bool reused = !impl.first_in_worker();
  EXPECT_EQ(impl.apply(Op::write(1, 0, 5)).status, Status::Ok);
  EXPECT_EQ(impl.apply(Op::fork(1)).status, Status::Ok);
  EXPECT_EQ(impl.apply(Op::read(2, 0)).value, 5u);
  return reused;
}

ImplFactory factory(const std::string& library, const Config& config = {}) {
  return [library, config] {
    return std::make_unique<PluginImplementation>(library, config, quick(), WORKER);
  };
}

class WorkerReuse : public ::testing::Test {
 protected:
  // Each test starts with no idle worker.
  void SetUp() override { release_idle_workers(); }
  void TearDown() override { release_idle_workers(); }
};

TEST_F(WorkerReuse, AKernelWithGlobalStateIsResetInTheSameWorker) {
  // It refuses create() while an instance is live: the reset destroys first.
  EXPECT_FALSE(run_reused(test_plugin("variant_one_instance")));
  for (int run = 0; run < 5; ++run) EXPECT_TRUE(run_reused(test_plugin("variant_one_instance")));
}

TEST_F(WorkerReuse, EachRunStartsFromTheStateAFreshWorkerShows) {
  Config config;
  config.frames = 16;
  std::optional<Snapshot> fresh;
  {
    PluginImplementation impl(EXAMPLE_PLUGIN, config, quick(), WORKER);
    fresh = impl.snapshot();
    impl.apply(Op::fork(1));
    impl.apply(Op::write(2, 1, 9));
  }
  PluginImplementation reused(EXAMPLE_PLUGIN, config, quick(), WORKER);
  EXPECT_FALSE(reused.first_in_worker());
  std::optional<Snapshot> start = reused.snapshot();
  ASSERT_TRUE(fresh && start);
  EXPECT_EQ(start->ptes, fresh->ptes);
  EXPECT_EQ(start->frames, fresh->frames);
  EXPECT_EQ(start->procs, fresh->procs);
  EXPECT_EQ(start->free_frames, fresh->free_frames);
  // The new run's pids start over: its first fork makes pid 2 again.
  EXPECT_EQ(reused.apply(Op::fork(1)).child, 2u);
}

TEST_F(WorkerReuse, AnInstanceThatRanNoOpIsHandedOnAsItIs) {
  // Probing a plug-in and then checking it (implementation_error, then the
  // engine) starts one worker, whose first instance serves the run.
  { PluginImplementation probe(EXAMPLE_PLUGIN, Config{}, quick(), WORKER); }
  PluginImplementation run(EXAMPLE_PLUGIN, Config{}, quick(), WORKER);
  EXPECT_TRUE(run.first_in_worker());
}

TEST_F(WorkerReuse, ACreateThatRefusesAfterDestroyGetsAFreshWorkerEveryRun) {
  for (int run = 0; run < 4; ++run) EXPECT_FALSE(run_reused(test_plugin("variant_create_once")));
}

TEST_F(WorkerReuse, StateADestroyedInstanceLeftInTheViewEndsReuse) {
  // From its second instance on it shows one free frame fewer: reused, every
  // run would break RC; the first view after the reset differs from a fresh
  // worker's, so each run gets a fresh worker and the plug-in passes.
  for (int run = 0; run < 4; ++run) EXPECT_FALSE(run_reused(test_plugin("variant_leaks_frame")));
  CheckOptions options;
  options.runs = 100;
  CheckResult result = check_random(factory(test_plugin("variant_leaks_frame")), options);
  EXPECT_FALSE(result.finding) << to_string(result.finding->violation);
}

TEST_F(WorkerReuse, AFindingOnlyAReusedWorkerShowsIsReportedAsNotReproduced) {
  // From its second instance on it writes value + 1, which no first view
  // shows: the campaign finds ISO in a reused worker, and the run that
  // reports it, in a fresh worker, does not fail.
  CheckOptions options;
  options.runs = 100;
  CheckResult result = check_random(factory(test_plugin("variant_hidden_leak")), options);
  ASSERT_TRUE(result.finding);
  EXPECT_FALSE(result.finding->reproduced);
}

TEST_F(WorkerReuse, AStopOnlyAReusedWorkerShowsIsNoFinding) {
  // From its second instance on, fork crashes. The crash in the reused
  // worker is re-run in a fresh one, which answers: the run goes on there
  // (run_reused checks every answer), and the plug-in is not reused again.
  EXPECT_FALSE(run_reused(test_plugin("variant_crash_reused")));
  EXPECT_TRUE(run_reused(test_plugin("variant_crash_reused")));
  EXPECT_FALSE(run_reused(test_plugin("variant_crash_reused")));
  CheckOptions options;
  options.runs = 50;
  CheckResult result = check_random(factory(test_plugin("variant_crash_reused")), options);
  EXPECT_FALSE(result.finding) << to_string(result.finding->violation);
}

TEST_F(WorkerReuse, ACrashInAReusedWorkerIsReportedWithTheOpsOfItsRun) {
  // It crashes on its first fork in every instance.
  std::string library = test_plugin("misbehave_segv");
  {
    PluginImplementation first(library, Config{}, quick(), WORKER);
    first.apply(Op::write(1, 0, 1));
  }
  PluginImplementation second(library, Config{}, quick(), WORKER);
  EXPECT_FALSE(second.first_in_worker());
  EXPECT_EQ(second.apply(Op::write(1, 1, 2)).status, Status::Ok);
  try {
    second.apply(Op::fork(1));
    ADD_FAILURE() << "the fork did not crash";
  } catch (const ImplementationStopped& e) {
    EXPECT_EQ(e.kind(), ImplementationStopped::Kind::Crash);
    EXPECT_NE(std::string(e.what()).find("'fork 1'"), std::string::npos) << e.what();
  }
  // Through the engine: found after reused runs, shown from a fresh worker.
  CheckOptions options;
  options.runs = 200;
  CheckResult result = check_random(factory(library), options);
  ASSERT_TRUE(result.finding);
  EXPECT_EQ(result.finding->violation.id, InvariantId::CRASH);
  EXPECT_TRUE(result.finding->reproduced);
  ASSERT_EQ(result.finding->ops.size(), 1u);
  EXPECT_EQ(result.finding->ops[0].kind, OpKind::Fork);
}

// As `cowcheck replay` does for each file: build the implementation to see
// that it loads, then build it again and replay the file on it.
ReplayResult replay_file(const CowFile& file, const std::string& library) {
  { PluginImplementation probe(library, file.config, quick(), WORKER); }
  ReplayObserver quiet;
  return replay_on(
      file, std::make_unique<PluginImplementation>(library, file.config, quick(), WORKER), quiet);
}

TEST_F(WorkerReuse, AReplayStartsOneWorkerPerFile) {
  CowFile file;
  file.config.frames = 16;
  file.ops = {Op::fork(1), Op::write(2, 0, 3), Op::read(1, 0)};
  std::uint64_t before = workers_started();
  EXPECT_FALSE(replay_file(file, EXAMPLE_PLUGIN).violation);
  EXPECT_EQ(workers_started(), before + 1);
  // The next file too, in a fresh worker of its own: the first one served
  // a replay already.
  EXPECT_FALSE(replay_file(file, EXAMPLE_PLUGIN).violation);
  EXPECT_EQ(workers_started(), before + 2);
}

TEST_F(WorkerReuse, RunsAfterTheFirstStartNoWorker) {
  std::uint64_t before = workers_started();
  CheckOptions options;
  options.runs = 200;
  CheckResult result = check_random(factory(EXAMPLE_PLUGIN), options);
  EXPECT_FALSE(result.finding);
  EXPECT_EQ(result.runs, 200);
  EXPECT_EQ(workers_started(), before + 1);
}

TEST_F(WorkerReuse, TheViewBuiltFromDeltasIsTheModelsStateAfterEveryOp) {
  // The example plug-in is the textbook mechanism: its state, as the oracle
  // builds it from the worker's deltas, must equal the model's after every
  // op of every kind, in runs served by one reused worker.
  DiffOptions options;
  options.check.config.frames = 12;
  options.check.runs = 300;
  options.snapshot_every = 1;
  std::uint64_t before = workers_started();
  CheckResult result = diff_random(
      [config = options.check.config] { return std::make_unique<model::CowModel>(config); },
      factory(EXAMPLE_PLUGIN, options.check.config), options);
  EXPECT_TRUE(result.error.empty()) << result.error;
  EXPECT_FALSE(result.finding) << to_string(result.finding->violation);
  EXPECT_GT(result.ops, 1000u);
  EXPECT_EQ(workers_started(), before + 1);
}

TEST_F(WorkerReuse, IsolateReplacesAReusedWorker) {
  run_reused(EXAMPLE_PLUGIN);
  PluginImplementation impl(EXAMPLE_PLUGIN, Config{}, quick(), WORKER);
  EXPECT_FALSE(impl.first_in_worker());
  impl.isolate();
  EXPECT_TRUE(impl.first_in_worker());
  EXPECT_EQ(impl.apply(Op::fork(1)).status, Status::Ok);
}

}  // namespace
}  // namespace cow::plugin
