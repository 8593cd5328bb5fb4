// Fuzz target for the worker wire protocol as the oracle reads it: the bytes
// are a worker's reply stream to a snapshot request, an op, and a second
// snapshot request, as the harness sends them; whatever was decoded is then
// checked by the invariants, as the harness would. Every answer must be
// decoded, or rejected as a finding (ImplementationStopped), and never crash
// the oracle, trip a sanitizer or allocate beyond what the machine bounds.
//
// The first 4 bytes choose the machine and the request; the rest is the
// reply stream. Corpus: tests/fuzz/corpus/wire/ (replies of the example
// plug-in).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "impl/plugin/reply_decode.h"
#include "impl/plugin/reply_source.h"
#include "spec/invariants.h"
#include "spec/semantics.h"

namespace {

using namespace cow;
using namespace cow::plugin;

const Op kSampleOps[] = {Op::fork(1),         Op::write(1, 0, 7),  Op::read(1, 0),
                         Op::exit(2),         Op::vfork(1),        Op::exec(2),
                         Op::munmap(1, 0, 1), Op::swapout(1, 0),   Op::pin_page(1, 0),
                         Op::unpin(1),        Op::copyout(1, 0, 3)};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 4) return 0;
  Config config;
  config.pages = 1 + data[0] % 4;
  config.frames = 1 + data[0] / 4 % 8;
  config.procs = 1 + data[1] % 4;
  config.words = 1 + data[1] / 4 % 4;
  const Op& op = kSampleOps[data[2] % std::size(kSampleOps)];
  std::vector<std::uint32_t> live = {1};
  for (std::uint32_t pid = 2; pid <= 1u + data[3] % 3; ++pid) live.push_back(pid);
  std::vector<std::uint32_t> pins;
  for (std::uint32_t id = 1; id <= data[3] / 4 % 3; ++id) pins.push_back(id);

  BufferReplySource source(std::span<const unsigned char>(data + 4, size - 4));
  try {
    Semantics semantics(config);
    Snapshot before = read_snapshot(source, config, live, pins);
    wire::Reply reply{};
    source.receive(&reply, sizeof reply);
    if (reply.status == 6) return 0;  // COW_UNSUPPORTED: the caller's UnsupportedOp
    Outcome expected = semantics.expect(op);
    Outcome actual = decode_outcome(reply, op, source);
    semantics.apply(op, actual);
    Snapshot after = read_snapshot(source, config, live, pins);
    Step step{op, expected, actual, semantics, &before, &after};
    (void)check_step(step);
    (void)canonicalize(after);
  } catch (const ImplementationStopped&) {
    // A rejected answer: the finding the harness would report.
  }
  return 0;
}
