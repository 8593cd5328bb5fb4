// The race engines: the model passes every interleaving the random engine
// draws, and every race mutant is caught by the exhaustive one with the
// same settings (no mutant is named here), at its fewest ops and steps.
// scripts/main catches every one with the random engine too (the docs test
// runs it).
#include "checker/race/race_random.h"

#include <gtest/gtest.h>

#include "app/race_registry.h"
#include "checker/cow_file.h"
#include "checker/explore/race_explore.h"
#include "model/stepped/race_mutants.h"

namespace cow {
namespace {

// The op kinds a race needs: the concurrency ops, mappings and pins.
const OpSet kRaceOps = *op_set_from_names("fork,write,read,mmap,madvise,memwrite,pin");

TEST(Race, TheModelPassesInEveryShape) {
  std::vector<RaceOptions> shapes(5);
  shapes[1].lanes = 3;
  shapes[1].max_lane_ops = 3;
  shapes[2].config.frames = 4;
  shapes[2].config.oom = OomPolicy::Kill;
  shapes[3].config.pages = 1;
  shapes[3].max_lane_ops = 4;
  shapes[4].ops = kRaceOps;
  shapes[4].seed = 7;
  for (RaceOptions& o : shapes) {
    o.runs = 1500;
    RaceResult r = race_random(stepped_factory("model", o.config), o);
    EXPECT_TRUE(r.error.empty()) << r.error;
    ASSERT_FALSE(r.finding) << to_string(*r.finding->trace.violation) << "\n"
                            << describe_steps(r.finding->program, r.finding->trace);
    EXPECT_EQ(r.runs, 1500);
    EXPECT_GT(r.steps, 1500u * 5);
  }
}

TEST(Race, EveryRaceMutantIsCaughtShrunkAndReplays) {
  for (const model::RaceMutantRow& row : model::kRaceMutants) {
    std::string name = std::string(model::kRaceMutantPrefix) + std::string(row.name);
    explore::RaceExploreOptions o;
    o.config = Config{1, 4, 4, 1};
    o.ops = kRaceOps;
    o.lane_ops = 2;
    SteppedFactory make = stepped_factory(name, o.config);
    explore::RaceExploreResult r = race_explore(make, o);
    ASSERT_TRUE(r.trace) << name << " was not caught in " << r.runs << " interleavings";
    RaceFinding f;
    f.program = *r.program;
    f.trace = *r.trace;
    std::size_t lane_ops = 0;
    for (const std::vector<Op>& lane : f.program.lanes) lane_ops += lane.size();
    EXPECT_LE(f.program.setup.size() + lane_ops, 5u) << name << "\n"
                                                     << describe_steps(f.program, f.trace);
    EXPECT_LE(switches(f.program.schedule), 2u) << name;
    // Its file replays step for step, and the model passes the same run.
    CowFile file;
    file.impl = name;
    file.config = o.config;
    file.invariant = f.trace.violation->id;
    file.ops = f.program.setup;
    file.lanes = f.program.lanes;
    file.schedule = f.program.schedule;
    CowFile read = parse_cow(format_cow(file), "race.cow");
    RaceProgram again{read.ops, read.lanes, read.schedule};
    EXPECT_EQ(again, f.program);
    RaceTrace replay = run_race(make, read.config, again);
    ASSERT_TRUE(replay.violation) << name;
    EXPECT_EQ(replay.violation->id, f.trace.violation->id);
    EXPECT_FALSE(run_race(stepped_factory("model", o.config), o.config, again).violation) << name;
  }
}

TEST(Race, ARaceFileThatDoesNotAddUpIsRefusedWithItsLine) {
  std::string head = "cowcheck 1\nimpl model\n";
  auto error = [&](const std::string& body) {
    try {
      parse_cow(head + body, "bad.cow");
    } catch (const CowParseError& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(error("lane 0 write 1 0 1\nschedule 0 1\n"),
            "bad.cow:4: the schedule names lane 1, but the file has 1 lane");
  EXPECT_EQ(error("lane 1 write 1 0 1\n"), "bad.cow:3: lane 1 comes before lane 0");
  EXPECT_EQ(error("lane 0 write 1 0 1\nread 1 0\n"),
            "bad.cow:4: an op outside the lanes after a 'lane' line");
  EXPECT_EQ(error("schedule 0\n"), "bad.cow:3: a 'schedule' line, but no 'lane' lines");
  EXPECT_EQ(error("lane 0 write 1 0 1\nschedule 0 x\n"),
            "bad.cow:4: a schedule's lane 'x' is not a non-negative integer");
  EXPECT_EQ(error("lane 99 write 1 0 1\n"), "bad.cow:3: lane 99 is past the last one, 15");
}

}  // namespace
}  // namespace cow
