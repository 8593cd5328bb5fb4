// Writing .cow files.
#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>
#include <unistd.h>

#include "checker/cow_file.h"

namespace cow {

std::string format_cow(const CowFile& f) {
  std::string text = fmt::format("cowcheck {}\n", kCowFileVersion);
  for (const std::string& note : f.notes) text += fmt::format("# {}\n", note);
  text += fmt::format("impl {}\n", f.impl);
  // Policies are written only when not the default, so older files stay as they were.
  std::string policies;
  if (f.config.policy != Config{}.policy)
    policies += fmt::format(" policy={}", policy_name(f.config.policy));
  if (f.config.oom != Config{}.oom) policies += fmt::format(" oom={}", oom_name(f.config.oom));
  text += fmt::format("config pages={} frames={} procs={} words={}{}\n", f.config.pages,
                      f.config.frames, f.config.procs, f.config.words, policies);
  text += fmt::format("invariant {}\n",
                      f.invariant ? std::string(invariant_name(*f.invariant)) : "none");
  for (std::size_t i = 0; i < f.ops.size(); ++i) {
    std::string op = to_string(f.ops[i]);
    bool commented = i < f.op_comments.size() && !f.op_comments[i].empty();
    text += commented ? fmt::format("{:<16}# {}\n", op, f.op_comments[i]) : op + "\n";
  }
  return text;
}

void write_cow_atomic(const std::filesystem::path& path, const CowFile& file) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::filesystem::path tmp = path;
  tmp += fmt::format(".tmp.{}", ::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << format_cow(file);
    out.flush();
    if (!out) throw std::runtime_error(fmt::format("{}: cannot write", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    throw std::runtime_error(fmt::format("{}: cannot rename into place: {}", path.string(),
                                         ec.message()));
  }
}

std::string cow_file_name(std::string_view impl) {
  // A plug-in is named by its library, not by where it happens to be built.
  if (impl.starts_with("plugin:"))
    return "plugin-" + std::filesystem::path(impl.substr(7)).stem().string() + ".cow";
  std::string name;
  for (char c : impl) name += (c == ':' || c == '/' || c == ' ') ? '-' : c;
  return name + ".cow";
}

}  // namespace cow

namespace cow {

std::string cow_file_name(std::string_view impl, const Config& config) {
  std::string name = cow_file_name(impl);
  name.resize(name.size() - 4);  // ".cow"
  if (config.policy != Config{}.policy) name += fmt::format("-{}", policy_name(config.policy));
  if (config.oom != Config{}.oom) name += fmt::format("-oom-{}", oom_name(config.oom));
  return name + ".cow";
}

}  // namespace cow
