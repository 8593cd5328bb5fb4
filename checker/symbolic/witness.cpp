#include "checker/symbolic/witness.h"

#include <stdexcept>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace cow::symbolic {

namespace {

std::uint32_t number(const z3::model& m, const z3::expr& e) {
  return m.eval(e, true).get_numeral_uint();
}
bool truth(const z3::model& m, const z3::expr& e) { return m.eval(e, true).is_true(); }

}  // namespace

SlotTrace read_trace(const z3::model& m, Unroller& u, std::uint32_t depth) {
  SlotTrace trace;
  for (std::uint32_t t = 0; t <= depth; ++t) {
    std::vector<bool> live;
    for (const z3::expr& l : u.state(t).live) live.push_back(truth(m, l));
    trace.live.push_back(std::move(live));
    if (t == 0) continue;
    const SymOp& op = u.op(t);
    trace.ops.push_back(SlotOp{static_cast<OpKind>(number(m, op.kind)), number(m, op.slot),
                               number(m, op.vpn), number(m, op.value), number(m, op.word)});
  }
  return trace;
}

std::vector<Op> to_ops(const SlotTrace& trace) {
  std::size_t slots = trace.live.front().size();
  std::vector<Pid> pid_of(slots, 0);
  pid_of[0] = kInitPid;
  Pid next_pid = kInitPid + 1;
  std::vector<Op> ops;
  for (std::size_t i = 0; i < trace.ops.size(); ++i) {
    const SlotOp& s = trace.ops[i];
    const std::vector<bool>& before = trace.live[i];
    const std::vector<bool>& after = trace.live[i + 1];
    if (s.slot >= slots || !before[s.slot] || pid_of[s.slot] == 0)
      throw std::logic_error(fmt::format("witness: step {} acts on slot {}, which is not live", i + 1,
                                         s.slot));
    Pid pid = pid_of[s.slot];
    switch (s.kind) {
      case OpKind::Fork: {
        std::size_t child = slots;
        for (std::size_t c = 0; c < slots; ++c)
          if (!before[c] && after[c]) child = c;
        if (child == slots)
          throw std::logic_error(fmt::format("witness: the fork at step {} made no child", i + 1));
        pid_of[child] = next_pid++;
        ops.push_back(Op::fork(pid));
        break;
      }
      case OpKind::Write: ops.push_back(Op::write(pid, s.vpn, s.value, s.word)); break;
      case OpKind::Read: ops.push_back(Op::read(pid, s.vpn, s.word)); break;
      case OpKind::Exit:
        pid_of[s.slot] = 0;
        ops.push_back(Op::exit(pid));
        break;
    }
  }
  return ops;
}

std::string to_string(const SlotOp& op) {
  std::string word = op.word != 0 ? fmt::format(" {}", op.word) : "";
  switch (op.kind) {
    case OpKind::Write: return fmt::format("write slot{} {} {}{}", op.slot, op.vpn, op.value, word);
    case OpKind::Read: return fmt::format("read slot{} {}{}", op.slot, op.vpn, word);
    case OpKind::Fork: return fmt::format("fork slot{}", op.slot);
    case OpKind::Exit: return fmt::format("exit slot{}", op.slot);
  }
  return "?";
}

std::string describe_state(const z3::model& m, Unroller& u, std::uint32_t t) {
  const SymState& s = u.state(t);
  const Widths& w = u.system().widths();
  auto value = [&](const z3::expr& e) {
    std::uint32_t v = number(m, e);
    return v == w.poison ? std::string("poison") : fmt::format("{}", v);
  };
  std::string text = "    slot vpn frame flags   semantics\n";
  for (std::size_t slot = 0; slot < s.live.size(); ++slot) {
    if (!truth(m, s.live[slot])) continue;
    for (std::size_t vpn = 0; vpn < s.pte[slot].size(); ++vpn) {
      const SymPte& p = s.pte[slot][vpn];
      std::vector<std::string> sem;
      for (const z3::expr& word : s.semantics[slot][vpn]) sem.push_back(value(word));
      text += fmt::format("    {:>4} {:>3} {:>5} {:<7} [{}]\n", slot, vpn, number(m, p.frame),
                          fmt::format("{}{}", truth(m, p.writable) ? "rw" : "r-",
                                      truth(m, p.cow) ? " cow" : ""),
                          fmt::join(sem, " "));
    }
  }
  text += w.stored_words > u.system().config().machine.words
              ? "    frame refcount contents (the last word stands for every word past --words)\n"
              : "    frame refcount contents\n";
  for (std::size_t f = 0; f < s.refcount.size(); ++f) {
    std::vector<std::string> contents;
    for (const z3::expr& word : s.contents[f]) contents.push_back(value(word));
    text += fmt::format("    {:>5} {:>8} [{}]\n", f, number(m, s.refcount[f]),
                        fmt::join(contents, " "));
  }
  return text;
}

}  // namespace cow::symbolic
