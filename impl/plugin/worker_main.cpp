// cowcheck-worker: loads one plug-in and serves the oracle's requests over
// two pipes. It runs in its own process so that a plug-in that crashes,
// hangs, exhausts memory or calls exit() takes down only this process.
//
// usage: cowcheck-worker PLUGIN.so PAGES FRAMES PROCS WORDS
#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "cowcheck/cow_abi.h"
#include "impl/plugin/wire.h"

namespace {

using namespace cow::plugin::wire;

bool read_all(void* buf, std::size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t got = ::read(kRequestFd, p, n);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<std::size_t>(got);
  }
  return true;
}

void write_all(const void* buf, std::size_t n) {
  const auto* p = static_cast<const char*>(buf);
  while (n > 0) {
    ssize_t put = ::write(kReplyFd, p, n);
    if (put < 0 && errno == EINTR) continue;
    if (put <= 0) std::_Exit(0);  // the oracle is gone
    p += put;
    n -= static_cast<std::size_t>(put);
  }
}

[[noreturn]] void refuse(const std::string& why) {
  Hello hello{kHelloMagic, 0, 0, static_cast<std::uint32_t>(why.size())};
  write_all(&hello, sizeof hello);
  write_all(why.data(), why.size());
  std::_Exit(0);
}

const cow_plugin* load(const char* path) {
  void* library = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library) refuse(std::string("cannot load: ") + ::dlerror());
  auto entry = reinterpret_cast<cow_plugin_entry_fn>(::dlsym(library, COW_PLUGIN_ENTRY));
  if (!entry) refuse("does not export " COW_PLUGIN_ENTRY "()");
  const cow_plugin* plugin = entry();
  if (!plugin) refuse(COW_PLUGIN_ENTRY "() returned NULL");
  if (plugin->abi_version == 0 || plugin->abi_version > COW_ABI_VERSION)
    refuse("built for ABI version " + std::to_string(plugin->abi_version) +
           ", this cowcheck speaks version " + std::to_string(COW_ABI_VERSION));
  if (plugin->struct_size < offsetof(cow_plugin, pte))
    refuse("its cow_plugin table is too small to hold the required entry points");
  if (!plugin->create || !plugin->destroy || !plugin->fork || !plugin->write || !plugin->read ||
      !plugin->exit)
    refuse("a required entry point (create, destroy, fork, write, read, exit) is NULL");
  return plugin;
}

bool white_box(const cow_plugin* p) {
  return p->struct_size >= sizeof(cow_plugin) && p->pte && p->frame && p->free_frames;
}

Reply serve_op(const cow_plugin* p, cow_instance* in, const Request& r) {
  Reply reply{COW_OK, COW_FAULT_NONE, 0, 0};
  cow_fault fault = COW_FAULT_NONE;
  switch (r.code) {
    case Code::Fork: reply.status = p->fork(in, r.pid, &reply.child); break;
    case Code::Write:
      reply.status = p->write(in, r.pid, r.vpn, r.word, r.value, &fault);
      reply.fault = fault;
      break;
    case Code::Read: reply.status = p->read(in, r.pid, r.vpn, r.word, &reply.value); break;
    case Code::Exit: reply.status = p->exit(in, r.pid); break;
    case Code::Snapshot: break;
  }
  return reply;
}

void serve_snapshot(const cow_plugin* p, cow_instance* in, const cow_config& config,
                    std::uint32_t live_count) {
  std::vector<std::uint32_t> live(live_count);
  if (!read_all(live.data(), live.size() * sizeof(std::uint32_t))) std::_Exit(0);
  if (!white_box(p)) {
    Reply unsupported{COW_UNSUPPORTED, 0, 0, 0};
    write_all(&unsupported, sizeof unsupported);
    return;
  }
  std::vector<PteRecord> ptes;
  for (std::uint32_t pid : live)
    for (std::uint32_t vpn = 0; vpn < config.pages; ++vpn) {
      cow_pte pte{};
      if (p->pte(in, pid, vpn, &pte) != COW_OK) pte = cow_pte{};
      ptes.push_back({pid, vpn, pte.present, pte.writable, pte.cow, pte.frame});
    }
  std::vector<FrameRecord> frames(config.frames);
  for (std::uint32_t f = 0; f < config.frames; ++f) {
    FrameRecord& record = frames[f];
    std::memset(&record, 0, sizeof record);
    if (p->frame(in, f, &record.refcount, record.contents) != COW_OK) record.refcount = 0;
  }
  Reply ok{COW_OK, 0, 0, 0};
  SnapshotHeader header{static_cast<std::uint32_t>(ptes.size()), config.frames, p->free_frames(in)};
  write_all(&ok, sizeof ok);
  write_all(&header, sizeof header);
  write_all(ptes.data(), ptes.size() * sizeof(PteRecord));
  write_all(frames.data(), frames.size() * sizeof(FrameRecord));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) refuse("usage: cowcheck-worker PLUGIN PAGES FRAMES PROCS WORDS");
  // A plug-in that prints must not corrupt the protocol: stdout goes to stderr.
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  cow_config config{};
  config.pages = static_cast<std::uint32_t>(std::strtoul(argv[2], nullptr, 10));
  config.frames = static_cast<std::uint32_t>(std::strtoul(argv[3], nullptr, 10));
  config.procs = static_cast<std::uint32_t>(std::strtoul(argv[4], nullptr, 10));
  config.words = static_cast<std::uint32_t>(std::strtoul(argv[5], nullptr, 10));
  if (config.words > kWords) refuse("words must be at most 4");

  const cow_plugin* plugin = load(argv[1]);
  cow_instance* instance = plugin->create(&config);
  if (!instance) refuse("create() returned NULL for this configuration");
  Hello hello{kHelloMagic, 1, white_box(plugin) ? 1u : 0u, 0};
  write_all(&hello, sizeof hello);

  Request request{};
  while (read_all(&request, sizeof request)) {
    if (request.code == Code::Snapshot) {
      serve_snapshot(plugin, instance, config, request.pid);
      continue;
    }
    Reply reply = serve_op(plugin, instance, request);
    write_all(&reply, sizeof reply);
  }
  plugin->destroy(instance);
  return 0;
}
