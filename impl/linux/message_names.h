// How the oracle names what passes between it and a server, and how a
// server ended: the words of every message about a server
// (linux_cow.cpp, linux_messages.cpp).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "impl/linux/server_wire.h"

namespace cow::linux_host {

std::string_view request_name(Request r);
std::string_view reply_name(Reply r);
// A wait status as people say it; nullopt: it could not be waited for (an
// oracle that ignores SIGCHLD has its children reaped by the kernel).
std::string exit_status_text(std::optional<int> wait_status);

}  // namespace cow::linux_host
