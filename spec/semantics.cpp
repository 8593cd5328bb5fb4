#include "spec/semantics.h"

namespace cow {

Semantics::Semantics(const Config& config) : config_(config) {
  spaces_.emplace(kInitPid, Space(config.pages));
}

Outcome Semantics::expect(const Op& op) const {
  auto it = spaces_.find(op.pid);
  if (it == spaces_.end()) return Outcome::error(Status::NoSuchProcess);
  switch (op.kind) {
    case OpKind::Fork:
      if (spaces_.size() >= config_.procs) return Outcome::error(Status::ProcLimit);
      return Outcome::forked(next_pid_);
    case OpKind::Write:
      if (op.vpn >= config_.pages || op.word >= config_.words)
        return Outcome::error(Status::BadAddress);
      return Outcome::ok();
    case OpKind::Read:
      if (op.vpn >= config_.pages || op.word >= config_.words)
        return Outcome::error(Status::BadAddress);
      return Outcome::read(it->second[op.vpn].data[op.word]);
    case OpKind::Exit:
      return Outcome::ok();
  }
  return Outcome::error(Status::NoSuchProcess);
}

void Semantics::apply(const Op& op, const Outcome& actual) {
  if (actual.status == Status::OutOfMemory) return;
  if (expect(op).status != Status::Ok) return;
  switch (op.kind) {
    case OpKind::Fork: {
      Space copy = spaces_.at(op.pid);
      spaces_.emplace(next_pid_++, std::move(copy));
      break;
    }
    case OpKind::Write: {
      Page& page = spaces_.at(op.pid)[op.vpn];
      page.data[op.word] = op.value;
      page.writer[op.word] = op.pid;
      break;
    }
    case OpKind::Read:
      break;
    case OpKind::Exit:
      spaces_.erase(op.pid);
      break;
  }
}

}  // namespace cow
