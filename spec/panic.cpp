#include "spec/panic.h"

#include <stdexcept>

#include <fmt/format.h>

namespace cow {

void panic(std::string_view function, std::string_view reason) {
  throw std::logic_error(fmt::format("{}: {}", function, reason));
}

void panic(std::string_view function, std::string_view reason, std::string_view thing,
           std::uint64_t id) {
  throw std::logic_error(fmt::format("{}: {} ({} {})", function, reason, thing, id));
}

}  // namespace cow
