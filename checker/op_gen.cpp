#include "checker/op_gen.h"

#include <algorithm>

namespace cow {

std::optional<Op> resolve(const GenOp& g, const Semantics& sem) {
  const auto& spaces = sem.spaces();
  if (spaces.empty() || (g.kind == OpKind::Exit && spaces.size() == 1)) return std::nullopt;
  // std::map is ordered by pid, and pids grow with age: the youngest is last.
  std::size_t from_youngest = g.who % spaces.size();
  auto it = std::prev(spaces.end(), static_cast<std::ptrdiff_t>(from_youngest) + 1);
  Pid pid = it->first;
  Vpn vpn = g.vpn % sem.config().pages;
  switch (g.kind) {
    case OpKind::Fork: return Op::fork(pid);
    case OpKind::Write: return Op::write(pid, vpn, g.value, g.word % sem.config().words);
    case OpKind::Read: return Op::read(pid, vpn, g.word % sem.config().words);
    case OpKind::Exit: return Op::exit(pid);
  }
  return std::nullopt;
}

rc::Gen<GenOp> gen_op(const Config& config) {
  // Few pages, so writes land on pages that forks have shared.
  int pages = static_cast<int>(std::min<std::uint32_t>(config.pages, 3));
  return rc::gen::build<GenOp>(
      rc::gen::set(&GenOp::kind, rc::gen::weightedElement<OpKind>({{4, OpKind::Fork},
                                                                   {5, OpKind::Write},
                                                                   {2, OpKind::Read},
                                                                   {2, OpKind::Exit}})),
      rc::gen::set(&GenOp::who, rc::gen::weightedOneOf<std::uint8_t>(
                                    {{3, rc::gen::just<std::uint8_t>(0)},
                                     {2, rc::gen::just<std::uint8_t>(1)},
                                     {1, rc::gen::inRange<std::uint8_t>(0, 8)}})),
      rc::gen::set(&GenOp::vpn, rc::gen::inRange<std::uint8_t>(0, static_cast<std::uint8_t>(pages))),
      rc::gen::set(&GenOp::value, rc::gen::inRange<std::uint8_t>(1, 8)),
      rc::gen::set(&GenOp::word, rc::gen::inRange<std::uint8_t>(0, kMaxWords)));
}

rc::Gen<std::vector<GenOp>> gen_ops(const Config& config) {
  return rc::gen::scale(2.0, rc::gen::container<std::vector<GenOp>>(gen_op(config)));
}

}  // namespace cow
