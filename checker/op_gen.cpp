#include "checker/op_gen.h"

#include <algorithm>

namespace cow {

namespace {

constexpr MapKind kMapKinds[] = {MapKind::PrivateAnon, MapKind::SharedAnon, MapKind::Text,
                                 MapKind::PrivateFile, MapKind::SharedFile};

}  // namespace

std::optional<Op> resolve(const GenOp& g, const Semantics& sem) {
  const auto& procs = sem.processes();
  if (g.kind == OpKind::Unpin) {
    const auto& pins = sem.pins();
    std::uint32_t word = g.args / 7 % kMaxWords % sem.config().words;
    if (pins.empty()) return Op::unpin(sem.next_pin(), word);  // one never taken
    auto it = std::prev(pins.end(), static_cast<std::ptrdiff_t>(g.who % pins.size()) + 1);
    return Op::unpin(it->first, word);
  }
  if (procs.empty() || (g.kind == OpKind::Exit && procs.size() == 1)) return std::nullopt;
  // std::map is ordered by pid, and pids grow with age: the youngest is last.
  auto it = std::prev(procs.end(), static_cast<std::ptrdiff_t>(g.who % procs.size()) + 1);
  Pid pid = it->first;
  std::uint32_t pages = sem.config().pages;
  Vpn vpn = g.vpn % pages;
  Value value = 1 + g.args % 7;
  std::uint32_t word = g.args / 7 % kMaxWords % sem.config().words;
  std::uint32_t aux = g.args / 28;
  std::uint32_t count = std::min<std::uint32_t>(1 + aux % 2, pages - vpn);
  MapKind map = kMapKinds[aux / 2 % std::size(kMapKinds)];
  bool rw = aux >= 10;
  switch (g.kind) {
    case OpKind::Fork: return Op::fork(pid);
    case OpKind::Write: return Op::write(pid, vpn, value, word);
    case OpKind::Read: return Op::read(pid, vpn, word);
    case OpKind::Exit: return Op::exit(pid);
    case OpKind::Exec: return Op::exec(pid);
    case OpKind::Vfork: return Op::vfork(pid);
    case OpKind::Mmap: return Op::mmap(pid, vpn, count, map);
    case OpKind::Munmap: return Op::munmap(pid, vpn, count);
    case OpKind::Swapout: return Op::swapout(pid, vpn);
    case OpKind::Pin: return Op::pin_page(pid, vpn, rw);
    case OpKind::Copyout: return Op::copyout(pid, vpn, value, word);
    case OpKind::Unpin: break;
  }
  return std::nullopt;
}

rc::Gen<GenOp> gen_op(const Config& config, OpSet ops) {
  // Few pages, so writes land on pages that forks have shared.
  int pages = static_cast<int>(std::min<std::uint32_t>(config.pages, 3));
  std::vector<OpKind> weighted;  // each kind as many times as its weight
  for_each_op(ops, [&](OpKind kind) {
    weighted.insert(weighted.end(), static_cast<std::size_t>(op_info(kind).weight), kind);
  });
  if (weighted.empty()) weighted.push_back(OpKind::Read);
  return rc::gen::build<GenOp>(
      rc::gen::set(&GenOp::kind, rc::gen::elementOf(std::move(weighted))),
      rc::gen::set(&GenOp::who, rc::gen::weightedOneOf<std::uint8_t>(
                                    {{3, rc::gen::just<std::uint8_t>(0)},
                                     {2, rc::gen::just<std::uint8_t>(1)},
                                     {1, rc::gen::inRange<std::uint8_t>(0, 8)}})),
      rc::gen::set(&GenOp::vpn, rc::gen::inRange<std::uint8_t>(0, static_cast<std::uint8_t>(pages))),
      rc::gen::set(&GenOp::args, rc::gen::inRange<std::uint16_t>(0, 7 * kMaxWords * 20)));
}

rc::Gen<std::vector<GenOp>> gen_ops(const Config& config, OpSet ops) {
  return rc::gen::scale(2.0, rc::gen::container<std::vector<GenOp>>(gen_op(config, ops)));
}

}  // namespace cow
