#include "bench/check_bench.h"

#include <sched.h>
#include <sys/resource.h>

#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "app/registry.h"
#include "bench/measure.h"
#include "checker/random_engine.h"
#include "impl/plugin/plugin_impl.h"
#include "impl/plugin/worker_process.h"

namespace cow::bench {

namespace {

double seconds(const timeval& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
}

// CPU time of this process and of its children that were reaped.
double cpu_seconds_with_children() {
  timespec self{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &self);
  rusage children{};
  ::getrusage(RUSAGE_CHILDREN, &children);
  return static_cast<double>(self.tv_sec) + static_cast<double>(self.tv_nsec) / 1e9 +
         seconds(children.ru_utime) + seconds(children.ru_stime);
}

// Pins this process to the CPU it runs on for its lifetime; restores the
// CPUs it had.
class OneCpu {
 public:
  explicit OneCpu(bool on) {
    if (!on || ::sched_getaffinity(0, sizeof before_, &before_) != 0) return;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(::sched_getcpu(), &one);
    pinned_ = ::sched_setaffinity(0, sizeof one, &one) == 0;
  }
  ~OneCpu() {
    if (pinned_) ::sched_setaffinity(0, sizeof before_, &before_);
  }
  OneCpu(const OneCpu&) = delete;
  OneCpu& operator=(const OneCpu&) = delete;

 private:
  cpu_set_t before_{};
  bool pinned_ = false;
};

}  // namespace

std::string example_plugin_impl() {
  std::filesystem::path library =
      std::filesystem::path(plugin::default_worker_path()).parent_path() / "plugins" /
      "libcow-example.so";
  std::error_code ec;
  return std::filesystem::exists(library, ec) ? "plugin:" + library.string() : "";
}

CheckCost measure_check(const std::string& impl, int runs, bool one_cpu) {
  Config config{};
  CheckOptions options;
  options.config = config;
  options.runs = runs;
  OneCpu pin(one_cpu);
  // Workers idle from an earlier figure would count their CPU time here.
  plugin::release_idle_workers();
  double cpu_start = cpu_seconds_with_children();
  Clock::time_point start = Clock::now();
  CheckResult r = check_random([&] { return make_implementation(impl, config); }, options);
  // Ended and reaped, so that their CPU time is counted.
  plugin::release_idle_workers();
  double wall = ns_since(start) / 1e9;
  double cpu = cpu_seconds_with_children() - cpu_start;
  if (!r.error.empty()) throw std::runtime_error("bench: " + r.error);
  return {cpu > 0 ? r.ops / cpu : 0, wall > 0 ? r.ops / wall : 0, r.ops, !r.finding.has_value()};
}

}  // namespace cow::bench
