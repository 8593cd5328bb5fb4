// Fuzz target for the worker wire protocol as the oracle reads it: the bytes
// are a worker's reply stream to a new instance (a reset: its reply and
// first view), then an op (its reply and the view after it, a delta against
// the first), as the harness asks for them; whatever was decoded is then
// checked by the invariants, as the harness would. Every answer must be
// decoded, or rejected as a finding (ImplementationStopped), and never crash
// the oracle, trip a sanitizer or allocate beyond what the machine bounds.
//
// The first 4 bytes choose the machine and the op; the rest is the reply
// stream. Corpus: tests/fuzz/corpus/wire/ (replies of the example plug-in,
// written by tests/fuzz/wire_corpus.py).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
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
  std::set<std::uint32_t> live = {1};
  for (std::uint32_t pid = 2; pid <= 1u + data[3] % 3; ++pid) live.insert(pid);
  std::set<std::uint32_t> pins;
  for (std::uint32_t id = 1; id <= data[3] / 4 % 3; ++id) pins.insert(id);
  auto words = [](const std::set<std::uint32_t>& set) {
    return std::vector<std::uint32_t>(set.begin(), set.end());
  };

  BufferReplySource source(std::span<const unsigned char>(data + 4, size - 4));
  try {
    Semantics semantics(config);
    ViewCopy view(config);
    wire::Reply reset{};
    source.receive(&reset, sizeof reset);
    if (reset.status != 0 || reset.value != 0) return 0;  // a worker the oracle retires
    view.read(source, words(live), words(pins));
    Snapshot before = view.snapshot();
    wire::Reply reply{};
    source.receive(&reply, sizeof reply);
    if (reply.status == 6) return 0;  // COW_UNSUPPORTED: the caller's UnsupportedOp
    Outcome expected = semantics.expect(op);
    Outcome actual = decode_outcome(reply, op, source);
    semantics.apply(op, actual);
    // The pids and pins that stay live, as PluginImplementation follows them.
    if (actual.status == Status::Killed) live.erase(op.pid);
    if (actual.status == Status::Ok) {
      if (op.kind == OpKind::Fork || op.kind == OpKind::Vfork) live.insert(actual.child);
      if (op.kind == OpKind::Exit) live.erase(op.pid);
      if (op.kind == OpKind::Pin) pins.insert(actual.pin);
      if (op.kind == OpKind::Unpin) pins.erase(op.pin);
    }
    view.read(source, words(live), words(pins));
    const Snapshot& after = view.snapshot();
    Step step{op, expected, actual, semantics, &before, &after};
    (void)check_step(step);
    (void)canonicalize(after);
  } catch (const ImplementationStopped&) {
    // A rejected answer: the finding the harness would report.
  }
  return 0;
}
