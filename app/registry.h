// Every implementation the oracle can drive, by name: "model", then
// "mutant:NAME" for each built-in mutant (and, as they are added, others).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "checker/finding.h"
#include "impl/xv6/lab_tree.h"
#include "spec/implementation.h"
#include "spec/types.h"

namespace cow {

struct ImplInfo {
  std::string name;
  std::string description;
  bool is_mutant = false;  // expected to be caught, not to pass
};

// In the order `cowcheck impls` lists them.
const std::vector<ImplInfo>& implementations();

// Null when no implementation has that name.
std::unique_ptr<Implementation> make_implementation(std::string_view name, const Config& config);

// What an engine is handed: a fresh `name` on `config` at each call.
ImplFactory implementation_factory(std::string name, const Config& config);

bool known_implementation(std::string_view name);

// Limits for every plug-in worker started from now on: an op that takes
// longer is a HANG, a worker that needs more address space an OOM.
void set_plugin_limits(std::chrono::milliseconds op_timeout, std::size_t memory_bytes);

// How xv6:PATH finds what it needs in a lab (--cow-bit, --refcount), for
// every lab loaded from now on.
void set_lab_options(const xv6::LabOptions& options);

// Why `name` cannot be used at all (unknown, or a plug-in that will not
// load), or empty. Starting one that then crashes is a finding, not this.
std::string implementation_error(std::string_view name, const Config& config);

// Expands "mutant:*"-style patterns (a trailing '*' matches any suffix) and
// plain names; unknown names come back unchanged so the caller can report.
std::vector<std::string> expand_impl_names(const std::vector<std::string>& patterns);

}  // namespace cow
