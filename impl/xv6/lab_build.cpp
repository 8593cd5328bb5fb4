#include "impl/xv6/lab_build.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "impl/xv6/adapter_files.h"
#include "impl/xv6/riscv_shim.h"

extern char** environ;

namespace cow::xv6 {

namespace fs = std::filesystem;

namespace {

constexpr const char* kLibrary = "libxv6lab.so";
constexpr const char* kAdapterSources[] = {"xv6_glue.c", "xv6_shims.c", "xv6_host.c"};

void write_text(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw LabError(fmt::format("{}: cannot be written", path.string()));
}

std::string compiler() {
  const char* cc = std::getenv("CC");
  return cc && *cc ? cc : "cc";
}

// Runs `argv` in `folder` with its output in `log`; its exit status, or -1.
int run(const std::vector<std::string>& argv, const fs::path& folder, const fs::path& log) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addchdir_np(&actions, folder.c_str());
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int error = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (error != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string log_excerpt(const fs::path& log) {
  std::istringstream text(fs::exists(log) ? read_lab_file(log) : "");
  std::string out, line;
  for (int n = 0; n < 30 && std::getline(text, line); ++n) out += "\n  " + line;
  return out;
}

std::string lab_header(const Lab& lab) {
  std::string text = "/* Written by cowcheck from what it found in the lab (lab_tree.cpp). */\n";
  text += fmt::format("#define COWCHECK_COW_BIT ({})\n", lab.cow_bit);
  text += lab.uvmunmap_takes_bytes
              ? "#define UVMUNMAP_PAGES(pt, va, n, f) uvmunmap(pt, va, (n) * PGSIZE, f)\n"
              : "#define UVMUNMAP_PAGES(pt, va, n, f) uvmunmap(pt, va, n, f)\n";
  if (!lab.refcount.empty())
    text += fmt::format("{}\n#define COWCHECK_REFCOUNT(pa) ({})\n", lab.refcount_declaration,
                        lab.refcount);
  return text;
}

// A small host program that prints PHYSTOP as the lab's memlayout.h has it,
// and PGSIZE: where the frames go, and how big they are.
std::string probe_source() {
  std::string text;
  for (const char* header : {"types.h", "param.h", "memlayout.h", "riscv.h"})
    text += fmt::format("#{} \"{}\"\n", "include", header);
  return text +
         "int printf(const char *, ...);\n"
         "int main(void) { printf(\"%lx %lx\\n\", (unsigned long)(PHYSTOP), "
         "(unsigned long)(PGSIZE)); return 0; }\n";
}

// Everything that goes into the library, for the cache key.
struct Inputs {
  std::vector<std::pair<std::string, std::string>> files;  // name, text
  std::string key;
};

Inputs gather(const Lab& lab, std::uint32_t pool) {
  Inputs in;
  for (const fs::path& file : lab.files) {
    std::string name = file.filename().string();
    std::string text = read_lab_file(file);
    if (file.extension() == ".c") {
      if (int line = first_inline_assembly(text))
        throw LabError(fmt::format(
            "{}:{}: inline assembly in a .c file: cowcheck compiles kalloc.c, vm.c and trap.c "
            "unchanged and rewrites inline assembly only in headers; move it into riscv.h",
            file.string(), line));
    } else if (first_inline_assembly(text)) {
      text = shim_inline_assembly(text, name);
    }
    in.files.emplace_back(name, std::move(text));
  }
  for (const AdapterFile& f : adapter_files())
    in.files.emplace_back(std::string(f.name), std::string(f.text));
  in.files.emplace_back("xv6_lab.h", lab_header(lab));
  in.files.emplace_back("probe.c", probe_source());
  std::string all = fmt::format("pool {} cc {}\n", pool, compiler());
  for (const auto& [name, text] : in.files)
    all += fmt::format("{} {}\n{}", name, text.size(), text);
  in.key = fmt::format("{:016x}", std::hash<std::string>{}(all));
  return in;
}

std::vector<std::string> compile_flags(bool lab_file) {
  std::vector<std::string> flags = {compiler(),
                                    "-std=gnu11",
                                    "-O1",
                                    "-g",
                                    "-fPIC",
                                    "-fvisibility=hidden",
                                    "-fno-builtin",
                                    "-fno-tree-loop-distribute-patterns",
                                    "-fno-strict-aliasing",
                                    "-fno-stack-protector",
                                    "-I.",
                                    "-c"};
  // The lab's code is written for a RISC-V compiler, warnings and all.
  if (lab_file) flags.push_back("-w");
  return flags;
}

void compile(const fs::path& folder, const std::string& source, bool lab_file,
             const fs::path& log) {
  std::vector<std::string> argv = compile_flags(lab_file);
  argv.push_back(source);
  argv.push_back("-o");
  argv.push_back(fs::path(source).stem().string() + ".o");
  if (run(argv, folder, log) != 0)
    throw LabError(fmt::format("compiling {}kernel/{} for the host failed ({}):{}",
                               lab_file ? "" : "cowcheck's adapter beside ", source, argv[0],
                               log_excerpt(log)));
}

// PHYSTOP and PGSIZE of the lab, from the probe.
std::pair<unsigned long, unsigned long> probe_layout(const fs::path& folder, const fs::path& log) {
  if (run({compiler(), "-w", "-I.", "probe.c", "-o", "probe"}, folder, log) != 0)
    throw LabError(
        fmt::format("compiling a probe of kernel/memlayout.h failed:{}", log_excerpt(log)));
  fs::path out = folder / "probe.out";
  if (run({"./probe"}, folder, out) != 0)
    throw LabError("running a probe of kernel/memlayout.h failed");
  unsigned long phystop = 0, pgsize = 0;
  std::istringstream(read_lab_file(out)) >> std::hex >> phystop >> pgsize;
  if (pgsize != 4096 || phystop < (1ul << 31))
    throw LabError(fmt::format(
        "kernel/memlayout.h: PHYSTOP {:#x} and PGSIZE {} are not xv6-riscv's (4096-byte pages "
        "above 0x80000000)",
        phystop, pgsize));
  return {phystop, pgsize};
}

void build_in(const fs::path& folder, const Inputs& in, std::uint32_t pool) {
  fs::create_directories(folder);
  for (const auto& [name, text] : in.files) write_text(folder / name, text);
  fs::path log = folder / "build.log";
  auto [phystop, pgsize] = probe_layout(folder, log);
  for (const char* source : kLabSources) compile(folder, source, true, log);
  for (const char* source : kAdapterSources) compile(folder, source, false, log);
  unsigned long end = phystop - static_cast<unsigned long>(pool) * pgsize;
  std::vector<std::string> link = {compiler(), "-shared", "-o", kLibrary};
  for (const char* source : kLabSources) link.push_back(fs::path(source).stem().string() + ".o");
  for (const char* source : kAdapterSources)
    link.push_back(fs::path(source).stem().string() + ".o");
  link.push_back(fmt::format("-Wl,--defsym=end={:#x}", end));
  link.push_back("-Wl,-z,now");
  if (run(link, folder, log) != 0)
    throw LabError(fmt::format(
        "linking the lab's kalloc.c, vm.c and trap.c with cowcheck's adapter failed (a function "
        "the lab calls that neither it nor the adapter defines?):{}",
        log_excerpt(log)));
}

}  // namespace

std::uint32_t pool_pages(std::uint32_t frames, std::uint32_t procs) {
  return frames + 3 * (procs + 1);
}

fs::path cache_root() {
  if (const char* dir = std::getenv("COWCHECK_CACHE_DIR"); dir && *dir) return dir;
  if (const char* dir = std::getenv("XDG_CACHE_HOME"); dir && *dir)
    return fs::path(dir) / "cowcheck";
  if (const char* home = std::getenv("HOME"); home && *home)
    return fs::path(home) / ".cache" / "cowcheck";
  return fs::temp_directory_path() / fmt::format("cowcheck-cache-{}", ::getuid());
}

fs::path build_lab(const Lab& lab, std::uint32_t pool) {
  Inputs in = gather(lab, pool);
  fs::path folder = cache_root() / "xv6" / in.key;
  if (fs::exists(folder / kLibrary)) return folder / kLibrary;
  fs::path staging = folder;
  staging += fmt::format(".tmp{}", ::getpid());
  std::error_code ec;
  fs::remove_all(staging, ec);
  try {
    build_in(staging, in, pool);
  } catch (const fs::filesystem_error& e) {
    throw LabError(fmt::format("building the lab in {}: {}", staging.string(), e.what()));
  }
  // Another cowcheck may have built the same lab meanwhile: either is right.
  fs::rename(staging, folder, ec);
  if (ec) fs::remove_all(staging, ec);
  if (!fs::exists(folder / kLibrary))
    throw LabError(fmt::format("{}: the built lab is missing", (folder / kLibrary).string()));
  return folder / kLibrary;
}

}  // namespace cow::xv6
