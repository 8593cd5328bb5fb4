// The one way cowcheck's own code (the model, the fast implementation)
// says that an assumption of its own broke: never a finding about the code
// under test. It throws std::logic_error, which the harness reports as a
// CRASH of the op with this text.
#pragma once

#include <cstdint>
#include <string_view>

namespace cow {

// "function: reason"
[[noreturn]] void panic(std::string_view function, std::string_view reason);
// "function: reason (thing id)", about one numbered frame, table or slot.
[[noreturn]] void panic(std::string_view function, std::string_view reason, std::string_view thing,
                        std::uint64_t id);

}  // namespace cow
