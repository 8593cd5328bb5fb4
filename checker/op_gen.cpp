#include "checker/op_gen.h"

#include <algorithm>

namespace cow {

namespace {

constexpr MapKind kMapKinds[] = {MapKind::PrivateAnon, MapKind::SharedAnon, MapKind::Text,
                                 MapKind::PrivateFile, MapKind::SharedFile};

}  // namespace

std::optional<Op> resolve(const GenOp& g, const Semantics& sem, MapSet maps) {
  Op op{g.kind};
  std::uint32_t aux = g.args / 28;
  // Each argument the op's text form holds, drawn from the same bytes
  // whatever the op, so that a shrink that changes the kind keeps the rest.
  for (OpArg arg : op_info(g.kind).args) {
    switch (arg) {
      case OpArg::Pid: {
        const auto& procs = sem.processes();
        if (procs.empty() || (g.kind == OpKind::Exit && procs.size() == 1)) return std::nullopt;
        // std::map is ordered by pid, and pids grow with age: the youngest is last.
        op.pid =
            std::prev(procs.end(), static_cast<std::ptrdiff_t>(g.who % procs.size()) + 1)->first;
        break;
      }
      case OpArg::PinId: {
        const auto& pins = sem.pins();
        op.pin = pins.empty()
                     ? sem.next_pin()  // one never taken
                     : std::prev(pins.end(), static_cast<std::ptrdiff_t>(g.who % pins.size()) + 1)
                           ->first;
        break;
      }
      case OpArg::Vpn:
        op.vpn = g.vpn == kVpnPastEnd ? sem.config().pages : g.vpn % sem.config().pages;
        break;
      case OpArg::Value: op.value = 1 + g.args % 7; break;
      case OpArg::Word: op.word = g.args / 7 % kMaxWords % sem.config().words; break;
      case OpArg::Count:  // after the vpn, within the space
        op.count = std::min<std::uint32_t>(
            1 + aux % 2, sem.config().pages - std::min(op.vpn, sem.config().pages));
        break;
      case OpArg::Map: {  // the draw picks among the kinds the implementation maps
        MapKind allowed[std::size(kMapKinds)];
        std::size_t n = 0;
        for (MapKind k : kMapKinds)
          if ((maps & map_bit(k)) != 0) allowed[n++] = k;
        if (n == 0) return std::nullopt;
        op.map = allowed[aux / 2 % n];
        break;
      }
      case OpArg::Mode: op.rw = aux >= 10; break;
      case OpArg::None: return op;  // the arguments are packed at the front
    }
  }
  return op;
}

rc::Gen<GenOp> gen_op(const Config& config, OpSet ops, bool bad_addresses) {
  // Few pages, so writes land on pages that forks have shared.
  int pages = static_cast<int>(std::min<std::uint32_t>(config.pages, 3));
  std::vector<OpKind> weighted;  // each kind as many times as its weight
  for_each_op(ops, [&](OpKind kind) {
    weighted.insert(weighted.end(), static_cast<std::size_t>(op_info(kind).weight), kind);
  });
  if (weighted.empty()) weighted.push_back(OpKind::Read);
  auto in_space = rc::gen::inRange<std::uint8_t>(0, static_cast<std::uint8_t>(pages));
  rc::Gen<std::uint8_t> vpn =
      bad_addresses ? rc::gen::weightedOneOf<std::uint8_t>(
                          {{15, in_space}, {1, rc::gen::just(std::uint8_t{kVpnPastEnd})}})
                    : in_space;
  return rc::gen::build<GenOp>(
      rc::gen::set(&GenOp::kind, rc::gen::elementOf(std::move(weighted))),
      rc::gen::set(&GenOp::who, rc::gen::weightedOneOf<std::uint8_t>(
                                    {{3, rc::gen::just<std::uint8_t>(0)},
                                     {2, rc::gen::just<std::uint8_t>(1)},
                                     {1, rc::gen::inRange<std::uint8_t>(0, 8)}})),
      rc::gen::set(&GenOp::vpn, std::move(vpn)),
      rc::gen::set(&GenOp::args, rc::gen::inRange<std::uint16_t>(0, 7 * kMaxWords * 20)));
}

rc::Gen<std::vector<GenOp>> gen_ops(const Config& config, OpSet ops, bool bad_addresses) {
  return rc::gen::scale(2.0,
                        rc::gen::container<std::vector<GenOp>>(gen_op(config, ops, bad_addresses)));
}

}  // namespace cow
