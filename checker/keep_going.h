// check --keep-going: the random engine that goes on after a finding and
// reports each distinct bug once (checker/bug_key.h says what "distinct"
// means), with how many runs hit it.
//
// It is a chain of RapidCheck campaigns. Each one runs until a run fails
// with a bug not known yet; runs that fail with a known bug are counted and
// pass. The new bug is shrunk (by RapidCheck, then by dropping single ops)
// and becomes known; the next campaign takes the runs left, with a seed
// derived from the first and the campaign's number, so the whole chain is
// the same for the same seed. It stops when the runs are used up, or at
// `max_bugs` distinct bugs, or when an implementation cannot be run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "checker/finding.h"

namespace cow {

struct KeptBug {
  std::string key;               // bug_key of its counterexample
  Finding finding;               // minimized
  int hits = 0;                  // generated runs that failed with this bug, its first included
  int first_run = 0;             // the run that first hit it, from 1
  std::size_t found_length = 0;  // ops in that run before shrinking
};

enum class KeepGoingStop {
  RunsUsed,  // every run asked for was run
  BugLimit,  // max_bugs distinct bugs found
  Error,     // RapidCheck or the implementation could not go on
};

std::string_view keep_going_stop_name(KeepGoingStop stop);

struct KeepGoingResult {
  int runs = 0;           // generated runs, shrinking not counted
  std::uint64_t ops = 0;  // ops of the generated runs and of RapidCheck shrinking
  double seconds = 0;
  double shrink_seconds = 0;  // spent shrinking new bugs
  std::vector<KeptBug> bugs;  // in the order found
  KeepGoingStop stop = KeepGoingStop::RunsUsed;
  std::string error;
};

KeepGoingResult check_keep_going(const ImplFactory& make, const CheckOptions& options,
                                 int max_bugs);

}  // namespace cow
