#include "bench/fast_bench.h"

#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

#include "bench/measure.h"

namespace cow::bench {

namespace {

using fast::FastCow;
using fast::ForkMode;

constexpr std::size_t kPage = 4096;

Config machine(std::uint32_t pages, std::uint32_t frames) { return Config{pages, frames, 4, 2}; }

fast::FastOptions mode_options(ForkMode mode) { return {mode, true, fast::Mutation::None}; }

Pid fork_of(FastCow& cow, Pid parent) {
  Outcome o = cow.apply(Op::fork(parent));
  if (o.status != Status::Ok) throw std::runtime_error("bench: fork failed");
  return o.child;
}

void write_all(FastCow& cow, Pid pid, std::uint32_t pages, Value value) {
  for (Vpn vpn = 0; vpn < pages; ++vpn) keep(cow.apply(Op::write(pid, vpn, value)));
}

}  // namespace

FastForkCost measure_fast_fork(std::uint32_t pages, ForkMode mode, int repetitions) {
  FastCow cow(machine(pages, pages + 16), mode_options(mode));
  std::vector<double> fork_only, fork_exit;
  for (int i = 0; i < repetitions; ++i) {
    Clock::time_point start = Clock::now();
    Pid child = fork_of(cow, kInitPid);
    double forked = ns_since(start);
    cow.apply(Op::exit(child));
    fork_only.push_back(forked);
    fork_exit.push_back(ns_since(start));
  }
  return {median(fork_only), median(fork_exit)};
}

// The parent writes every page first, so each copy reads a real page of
// its own (not the host's shared zero page); one untimed round backs every
// destination frame with host memory, so no host page fault is timed.
double measure_copy_fault(std::uint32_t pages, int rounds) {
  FastCow cow(machine(pages, 2 * pages), mode_options(ForkMode::Eager));
  write_all(cow, kInitPid, pages, 1);
  std::vector<double> per_fault;
  for (int round = 0; round <= rounds; ++round) {
    Pid child = fork_of(cow, kInitPid);
    Clock::time_point start = Clock::now();
    write_all(cow, child, pages, 2);
    double ns = ns_since(start);
    cow.apply(Op::exit(child));
    if (round > 0) per_fault.push_back(ns / pages);
  }
  return median(per_fault);
}

// fork then the child's exit leaves every page of the parent copy-on-write
// with refcount 1: each write is then a reuse fault.
double measure_reuse_fault(std::uint32_t pages, ForkMode mode, int rounds) {
  FastCow cow(machine(pages, pages + 16), mode_options(mode));
  write_all(cow, kInitPid, pages, 1);
  std::vector<double> per_fault;
  for (int round = 0; round <= rounds; ++round) {
    cow.apply(Op::exit(fork_of(cow, kInitPid)));
    Clock::time_point start = Clock::now();
    write_all(cow, kInitPid, pages, 3);
    double ns = ns_since(start);
    if (round > 0) per_fault.push_back(ns / pages);
  }
  return median(per_fault);
}

double measure_memcpy_4k(std::uint32_t pages, int rounds) {
  std::size_t bytes = std::size_t{pages} * kPage;
  auto free_aligned = [](std::byte* p) { ::operator delete (p, std::align_val_t{kPage}); };
  std::unique_ptr<std::byte, decltype(free_aligned)> src(
      static_cast<std::byte*>(::operator new (bytes, std::align_val_t{kPage})), free_aligned);
  std::unique_ptr<std::byte, decltype(free_aligned)> dst(
      static_cast<std::byte*>(::operator new (bytes, std::align_val_t{kPage})), free_aligned);
  std::memset(src.get(), 1, bytes);
  std::memset(dst.get(), 2, bytes);
  std::vector<double> per_copy;
  for (int round = 0; round <= rounds; ++round) {
    Clock::time_point start = Clock::now();
    for (std::uint32_t i = 0; i < pages; ++i) {
      std::byte* to = dst.get() + i * kPage;
      keep(to);
      std::memcpy(to, src.get() + i * kPage, kPage);
      clobber_memory();
    }
    double ns = ns_since(start);
    if (round > 0) per_copy.push_back(ns / pages);
  }
  return median(per_copy);
}

double measure_memcpy_4k_hot(int copies) {
  alignas(kPage) static std::byte src[kPage], dst[kPage];
  std::memset(src, 1, kPage);
  std::byte* to = dst;
  const std::byte* from = src;
  Clock::time_point start = Clock::now();
  for (int i = 0; i < copies; ++i) {
    keep(to);  // the compiler can no longer prove the copy repeats itself
    keep(from);
    std::memcpy(to, from, kPage);
    clobber_memory();
  }
  return ns_since(start) / copies;
}

}  // namespace cow::bench
