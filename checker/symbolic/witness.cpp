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
    std::vector<bool> live, held;
    for (const z3::expr& l : u.state(t).live) live.push_back(truth(m, l));
    for (const SymPin& p : u.state(t).pins) held.push_back(truth(m, p.held));
    trace.live.push_back(std::move(live));
    trace.held.push_back(std::move(held));
    if (t == 0) continue;
    const SymOp& op = u.op(t);
    trace.ops.push_back(SlotOp{static_cast<OpKind>(number(m, op.kind)), number(m, op.slot),
                               number(m, op.vpn), number(m, op.value), number(m, op.word),
                               number(m, op.count), static_cast<MapKind>(number(m, op.map)),
                               truth(m, op.rw), number(m, op.pin)});
  }
  return trace;
}

Op as_op(const SlotOp& s, Pid pid, PinId pin) {
  Op op{s.kind};
  for (OpArg arg : op_info(s.kind).args) switch (arg) {
      case OpArg::Pid: op.pid = pid; break;
      case OpArg::Vpn: op.vpn = s.vpn; break;
      case OpArg::Value: op.value = s.value; break;
      case OpArg::Word: op.word = s.word; break;
      case OpArg::Count: op.count = s.count; break;
      case OpArg::Map: op.map = s.map; break;
      case OpArg::Mode: op.rw = s.rw; break;
      case OpArg::PinId: op.pin = pin; break;
      case OpArg::None: break;
    }
  return op;
}

std::vector<Op> to_ops(const SlotTrace& trace) {
  std::size_t slots = trace.live.front().size();
  std::vector<Pid> pid_of(slots, 0);
  pid_of[0] = kInitPid;
  Pid next_pid = kInitPid + 1;
  std::vector<PinId> pin_of(trace.held.front().size(), 0);
  PinId next_pin = 1;
  std::vector<Op> ops;
  for (std::size_t i = 0; i < trace.ops.size(); ++i) {
    const SlotOp& s = trace.ops[i];
    const std::vector<bool>& before = trace.live[i];
    const std::vector<bool>& after = trace.live[i + 1];
    if (s.kind == OpKind::Unpin) {
      if (s.pin >= pin_of.size() || !trace.held[i][s.pin] || pin_of[s.pin] == 0)
        throw std::logic_error(
            fmt::format("witness: step {} unpins pin slot {}, which is not held", i + 1, s.pin));
      ops.push_back(as_op(s, 0, pin_of[s.pin]));
      pin_of[s.pin] = 0;
      continue;
    }
    if (s.slot >= slots || !before[s.slot] || pid_of[s.slot] == 0)
      throw std::logic_error(
          fmt::format("witness: step {} acts on slot {}, which is not live", i + 1, s.slot));
    Pid pid = pid_of[s.slot];
    ops.push_back(as_op(s, pid, 0));
    if (s.kind == OpKind::Fork || s.kind == OpKind::Vfork) {
      std::size_t child = slots;
      for (std::size_t c = 0; c < slots; ++c)
        if (!before[c] && after[c]) child = c;
      if (child != slots)
        pid_of[child] = next_pid++;
      else if (s.kind == OpKind::Vfork)
        throw std::logic_error(fmt::format("witness: the vfork at step {} made no child", i + 1));
    }
    if (s.kind == OpKind::Pin) {
      const std::vector<bool>& held_before = trace.held[i];
      const std::vector<bool>& held_after = trace.held[i + 1];
      for (std::size_t p = 0; p < pin_of.size(); ++p)
        if (!held_before[p] && held_after[p]) pin_of[p] = next_pin++;
    }
    // An exit, or the OOM killer.
    for (std::size_t c = 0; c < slots; ++c)
      if (before[c] && !after[c]) pid_of[c] = 0;
  }
  return ops;
}

std::string describe_state(const z3::model& m, Unroller& u, std::uint32_t t) {
  const SymState& s = u.state(t);
  const Widths& w = u.system().widths();
  auto value = [&](const z3::expr& e) {
    std::uint32_t v = number(m, e);
    return v == w.poison ? std::string("poison") : fmt::format("{}", v);
  };
  std::string text = "    slot vpn kind         where    flags        semantics\n";
  for (std::size_t slot = 0; slot < s.live.size(); ++slot) {
    if (!truth(m, s.live[slot])) continue;
    if (truth(m, s.borrow[slot])) {
      text += fmt::format("    {:>4} vfork child of slot {} in slot {}'s space{}\n", slot,
                          number(m, s.vparent[slot]), number(m, s.owner[slot]),
                          truth(m, s.susp[slot]) ? " (suspended)" : "");
      continue;
    }
    for (std::size_t vpn = 0; vpn < s.pte[slot].size(); ++vpn) {
      const SymPte& p = s.pte[slot][vpn];
      std::vector<std::string> sem;
      for (const z3::expr& word : s.semantics[slot][vpn]) sem.push_back(value(word));
      std::string where = truth(m, p.present)   ? fmt::format("frame {}", number(m, p.frame))
                          : truth(m, p.swapped) ? fmt::format("slot {}", number(m, p.sslot))
                                                : std::string("-");
      text +=
          fmt::format("    {:>4} {:>3} {:<12} {:<8} {:<12} [{}]{}\n", slot, vpn,
                      map_kind_name(static_cast<MapKind>(number(m, p.kind))), where,
                      fmt::format("{}{}{}", truth(m, p.writable) ? "rw" : "r-",
                                  truth(m, p.cow) ? " cow" : "", truth(m, p.excl) ? " excl" : ""),
                      fmt::join(sem, " "), truth(m, s.susp[slot]) ? "  (suspended)" : "");
    }
  }
  for (std::size_t i = 0; i < s.pins.size(); ++i) {
    const SymPin& p = s.pins[i];
    if (!truth(m, p.held)) continue;
    std::vector<std::string> sem;
    for (const z3::expr& word : p.sem) sem.push_back(value(word));
    text += fmt::format(
        "    pin slot {}: frame {}{}, sees [{}]{}\n", i, number(m, p.frame),
        truth(m, p.rw) ? " rw" : "", fmt::join(sem, " "),
        truth(m, p.track) ? fmt::format(" (slot {} vpn {})", number(m, p.tslot), number(m, p.tvpn))
                          : "");
  }
  for (std::size_t k = 0; k < s.slot_rc.size(); ++k) {
    std::vector<std::string> data;
    for (const z3::expr& word : s.slot_data[k]) data.push_back(value(word));
    if (number(m, s.slot_rc[k]) != 0)
      text += fmt::format("    swap slot {}: refcount {} [{}]\n", k, number(m, s.slot_rc[k]),
                          fmt::join(data, " "));
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
