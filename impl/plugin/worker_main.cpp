// cowcheck-worker: loads one plug-in and serves the oracle's requests over
// two pipes. It runs in its own process so that a plug-in that crashes,
// hangs, exhausts memory or calls exit() takes down only this process. It
// lives across runs: a Reset destroys the instance and creates the next.
//
// usage: cowcheck-worker PLUGIN.so PAGES FRAMES PROCS WORDS POLICY OOM
// (POLICY and OOM as the ABI numbers cow_reuse_policy and cow_oom_policy)
#include <dlfcn.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "cowcheck/cow_abi.h"
#include "impl/plugin/wire.h"

namespace {

using namespace cow::plugin::wire;

// Shared with the oracle (wire::Progress); a private stand-in when the
// worker runs without one (by hand).
void* const shared_progress =
    ::mmap(nullptr, sizeof(Progress), PROT_READ | PROT_WRITE, MAP_SHARED, kProgressFd, 0);
Progress* progress = [] {
  static Progress alone{};
  return shared_progress == MAP_FAILED ? &alone : static_cast<Progress*>(shared_progress);
}();
// Whether to spin for the next request before blocking (wire::kSpin).
const bool spin = shared_progress != MAP_FAILED && many_cpus();
std::uint32_t requests_read = 0;

// After every call into the plug-in that returned.
void returned() { __atomic_add_fetch(&progress->calls, 1, __ATOMIC_RELEASE); }

// The worker's own pipe failed while the oracle is still there to ask (a
// plug-in that closed or reused descriptors 3-5): say so, so that this end
// is not taken for a plug-in calling exit().
[[noreturn]] void pipe_broken(int error) {
  __atomic_store_n(&progress->pipe_errno, static_cast<std::uint32_t>(error ? error : EIO),
                   __ATOMIC_RELEASE);
  std::_Exit(0);
}

// False at the end of the requests (the oracle closed its end).
bool read_all(void* buf, std::size_t n) {
  auto* p = static_cast<char*>(buf);
  bool first = true;
  while (n > 0) {
    ssize_t got = ::read(kRequestFd, p, n);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) pipe_broken(errno);
    if (got == 0 && !first) pipe_broken(EPIPE);  // cut mid-request
    first = false;
    if (got == 0) return false;
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
    if (put < 0 && errno == EPIPE) std::_Exit(0);  // the oracle is gone, nobody to tell
    if (put <= 0) pipe_broken(errno);
    p += put;
    n -= static_cast<std::size_t>(put);
  }
}

[[noreturn]] void refuse(const std::string& why) {
  Hello hello{kHelloMagic, 0, 0, 0, 0, 0, static_cast<std::uint32_t>(why.size())};
  write_all(&hello, sizeof hello);
  write_all(why.data(), why.size());
  std::_Exit(0);
}

// The plug-in's table as this worker sees it: the fields its struct_size
// covers (a version-1 table: the version-1 fields, whatever its size says),
// and every later one NULL or 0.
cow_plugin table;

bool white_box() { return table.pte && table.frame && table.free_frames; }

// Bits COW_MAP_PRIVATE_ANON .. COW_MAP_SHARED_FILE: every kind but none.
constexpr std::uint32_t kAllMapKinds = (2u << COW_MAP_SHARED_FILE) - (1u << COW_MAP_PRIVATE_ANON);
constexpr std::uint32_t kCacheKinds = kAllMapKinds & ~(1u << COW_MAP_PRIVATE_ANON);

std::uint32_t map_kinds() {
  if (!table.mmap) return 0;
  return table.map_kinds == 0 ? kAllMapKinds : table.map_kinds & kAllMapKinds;
}

// The ops the table has entry points for, as op_bit()s: what the hello
// offers, and the only codes serve_op passes to the table.
std::uint32_t supported_ops() {
  std::uint32_t ops =
      op_bit(Code::Fork) | op_bit(Code::Write) | op_bit(Code::Read) | op_bit(Code::Exit);
  const std::pair<bool, Code> optional[] = {{table.exec != nullptr, Code::Exec},
                                            {table.vfork != nullptr, Code::Vfork},
                                            {map_kinds() != 0, Code::Mmap},
                                            {table.munmap != nullptr, Code::Munmap},
                                            {table.swapout != nullptr, Code::Swapout},
                                            {table.pin != nullptr, Code::Pin},
                                            {table.unpin != nullptr, Code::Unpin},
                                            {table.copyout != nullptr, Code::Copyout}};
  for (auto [has, code] : optional)
    if (has) ops |= op_bit(code);
  return ops;
}

bool supported(Code code) {
  return static_cast<std::uint32_t>(code) <= kLastCode && (supported_ops() & op_bit(code)) != 0;
}

void load(const char* path) {
  void* library = ::dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library) refuse(std::string("cannot load: ") + ::dlerror());
  auto entry = reinterpret_cast<cow_plugin_entry_fn>(::dlsym(library, COW_PLUGIN_ENTRY));
  if (!entry) refuse("does not export " COW_PLUGIN_ENTRY "()");
  const cow_plugin* plugin = entry();
  returned();
  if (!plugin) refuse(COW_PLUGIN_ENTRY "() returned NULL");
  if (plugin->abi_version == 0 || plugin->abi_version > COW_ABI_VERSION)
    refuse("built for ABI version " + std::to_string(plugin->abi_version) +
           ", this cowcheck speaks version " + std::to_string(COW_ABI_VERSION));
  if (plugin->struct_size < offsetof(cow_plugin, pte))
    refuse("its cow_plugin table is too small to hold the required entry points");
  std::size_t size = std::min<std::size_t>(plugin->struct_size, sizeof(cow_plugin));
  if (plugin->abi_version == 1) size = std::min<std::size_t>(size, COW_PLUGIN_V1_SIZE);
  std::memset(&table, 0, sizeof table);
  std::memcpy(&table, plugin, size);
  if (!table.create || !table.destroy || !table.fork || !table.write || !table.read || !table.exit)
    refuse("a required entry point (create, destroy, fork, write, read, exit) is NULL");
  if (table.map_kinds & ~kAllMapKinds)
    refuse("map_kinds " + std::to_string(table.map_kinds) +
           " names a mapping kind the ABI does not define (bits 1 to 5 only)");
  if (!white_box()) return;
  // A white-box plug-in must show the state its ops create, or every
  // snapshot after one of them would be wrong for a reason that is not a bug.
  const std::tuple<bool, bool, const char*> views[] = {
      {table.vfork != nullptr, table.proc != nullptr,
       "provides vfork but not proc: a white-box plug-in must show which space each process "
       "runs in"},
      {table.swapout != nullptr, table.slot != nullptr,
       "provides swapout but not slot: a white-box plug-in must show its swap slots"},
      {table.pin != nullptr, table.pin_view != nullptr,
       "provides pin but not pin_view: a white-box plug-in must show the frame each pin holds"},
      {(map_kinds() & kCacheKinds) != 0, table.frame_cache != nullptr,
       "maps shared or file kinds but does not provide frame_cache: a white-box plug-in must "
       "say which frames are file or shared-object pages"},
  };
  for (auto [has_op, has_view, why] : views)
    if (has_op && !has_view) refuse(why);
}

// One op: its entry point by code, or COW_UNSUPPORTED for an op the table
// lacks and for an mmap of a kind its map_kinds leaves out.
Reply serve_op(cow_instance* in, const Request& r) {
  Reply reply{COW_OK, COW_FAULT_NONE, 0, 0, 0};
  cow_fault fault = COW_FAULT_NONE;
  cow_status status = COW_UNSUPPORTED;
  if (supported(r.code)) {
    switch (r.code) {
      case Code::Fork: status = table.fork(in, r.pid, &reply.child); break;
      case Code::Write: status = table.write(in, r.pid, r.vpn, r.word, r.value, &fault); break;
      case Code::Read:
        status = table.read_fault ? table.read_fault(in, r.pid, r.vpn, r.word, &reply.value, &fault)
                                  : table.read(in, r.pid, r.vpn, r.word, &reply.value);
        break;
      case Code::Exit: status = table.exit(in, r.pid); break;
      case Code::Exec: status = table.exec(in, r.pid); break;
      case Code::Vfork: status = table.vfork(in, r.pid, &reply.child); break;
      case Code::Mmap:
        if (map_kinds() & (1u << r.kind))
          status = table.mmap(in, r.pid, r.vpn, r.count, static_cast<cow_map_kind>(r.kind));
        break;
      case Code::Munmap: status = table.munmap(in, r.pid, r.vpn, r.count); break;
      case Code::Swapout: status = table.swapout(in, r.pid, r.vpn); break;
      case Code::Pin: status = table.pin(in, r.pid, r.vpn, r.rw, &reply.pin, &fault); break;
      case Code::Unpin: status = table.unpin(in, r.pin, r.word, &reply.value); break;
      case Code::Copyout: status = table.copyout(in, r.pid, r.vpn, r.word, r.value, &fault); break;
      case Code::Reset: break;  // never offered: main serves it
    }
  }
  returned();
  reply.status = status;
  reply.fault = fault;
  return reply;
}

// The reply being built, written with one write() when complete.
std::vector<unsigned char> out;

template <class T>
void put(const T& record) {
  std::size_t at = out.size();
  out.resize(at + sizeof record);
  std::memcpy(out.data() + at, &record, sizeof record);
}

template <class T>
void put_all(const std::vector<T>& records) {
  for (const T& record : records) put(record);
}

void flush() {
  write_all(out.data(), out.size());
  out.clear();
  __atomic_add_fetch(&progress->replies, 1, __ATOMIC_RELEASE);
}

// The next request, or false at the end of the requests.
bool next_request(Request& request) {
  if (spin) spin_for_change(&progress->requests, requests_read);
  if (!read_all(&request, sizeof request)) return false;
  ++requests_read;
  return true;
}

template <class T>
bool same(const T& a, const T& b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

// The one instance and what the oracle knows of it: the live pids and held
// pins, followed from the outcomes exactly as the oracle follows them
// (PluginImplementation::track), and the view last sent, against which the
// next one is a delta.
struct Instance {
  cow_instance* in = nullptr;
  std::set<std::uint32_t> live = {1};  // cow::kInitPid
  std::set<std::uint32_t> pins;
  std::map<std::uint32_t, std::vector<PteRecord>> ptes;  // by address space
  std::vector<FrameRecord> frames;                       // empty before the first view
};
Instance instance;

void track(const Request& r, const Reply& reply) {
  if (reply.status == COW_KILLED) instance.live.erase(r.pid);
  if (reply.status != COW_OK) return;
  switch (r.code) {
    case Code::Fork:
    case Code::Vfork: instance.live.insert(reply.child); break;
    case Code::Exit: instance.live.erase(r.pid); break;
    case Code::Pin: instance.pins.insert(reply.pin); break;
    case Code::Unpin: instance.pins.erase(r.pin); break;
    default: break;
  }
}

// Asks the plug-in for its whole state, as every view always did, and puts
// what changed since the last view.
void put_view(const cow_config& config) {
  __atomic_store_n(&progress->viewing, 1, __ATOMIC_RELEASE);
  cow_instance* in = instance.in;
  bool v1 = table.abi_version == 1;
  std::vector<ProcRecord> procs;
  for (std::uint32_t pid : instance.live) {
    ProcRecord record{pid, 1, pid, 0};
    if (table.proc) {
      cow_proc view{pid, 0};
      cow_status status = table.proc(in, pid, &view);
      returned();
      if (status == COW_OK) {
        record.space = view.space;
        record.suspended = view.suspended;
      } else {
        record.live = 0;
      }
    }
    procs.push_back(record);
  }
  // What a PTE the plug-in does not fill in (or fails to show) reads as.
  cow_pte unmapped{};
  unmapped.kind = v1 ? COW_MAP_PRIVATE_ANON : COW_MAP_NONE;
  unmapped.slot = COW_NO_SLOT;
  std::vector<PteRecord> ptes;
  std::set<std::uint32_t> named_slots;
  std::set<std::uint32_t> tables;
  for (const ProcRecord& proc : procs) {
    if (!proc.live || proc.space != proc.pid) continue;  // a vfork child has no table of its own
    tables.insert(proc.pid);
    std::vector<PteRecord>& sent = instance.ptes[proc.pid];
    bool fresh = sent.size() != config.pages;  // a new address space: every page
    sent.resize(config.pages);
    for (std::uint32_t vpn = 0; vpn < config.pages; ++vpn) {
      cow_pte pte = unmapped;
      cow_status status = table.pte(in, proc.pid, vpn, &pte);
      returned();
      if (status != COW_OK) pte = unmapped;
      if (v1) {
        pte.kind = COW_MAP_PRIVATE_ANON;
        pte.exclusive = pte.present && pte.writable;
        pte.slot = COW_NO_SLOT;
      }
      if (!pte.present && pte.slot != COW_NO_SLOT) named_slots.insert(pte.slot);
      PteRecord record{proc.pid,  vpn,      pte.present,   pte.writable, pte.cow,
                       pte.frame, pte.kind, pte.exclusive, pte.slot};
      if (fresh || !same(record, sent[vpn])) ptes.push_back(record);
      sent[vpn] = record;
    }
  }
  std::erase_if(instance.ptes, [&](const auto& entry) { return !tables.count(entry.first); });
  std::vector<FrameRecord> frames;
  bool first = instance.frames.size() != config.frames;
  instance.frames.resize(config.frames);
  for (std::uint32_t f = 0; f < config.frames; ++f) {
    FrameRecord record;
    std::memset(&record, 0, sizeof record);
    record.frame = f;
    if (table.frame(in, f, &record.refcount, record.contents) != COW_OK) {
      record.refcount = 0;
      std::memset(record.contents, 0, sizeof record.contents);
    }
    returned();
    if (table.frame_cache && table.frame_cache(in, f, &record.cache) != COW_OK) record.cache = 0;
    returned();
    if (first || !same(record, instance.frames[f])) frames.push_back(record);
    instance.frames[f] = record;
  }
  std::vector<SlotRecord> slots;
  if (table.slot) {
    std::uint32_t count = config.pages * config.procs;
    for (std::uint32_t s = 0; s < count; ++s) {
      SlotRecord record{};
      record.slot = s;
      cow_status status = table.slot(in, s, &record.refcount, record.contents);
      returned();
      if (status != COW_OK) continue;
      if (record.refcount != 0 || named_slots.count(s)) slots.push_back(record);
    }
  }
  std::vector<PinRecord> pins;
  for (std::uint32_t id : instance.pins) {
    PinRecord record{id, 0, 0, 0};
    cow_pin view{};
    if (table.pin_view && table.pin_view(in, id, &view) == COW_OK)
      record = {id, 1, view.frame, view.rw};
    returned();
    pins.push_back(record);
  }
  std::uint32_t free_frames = table.free_frames(in);
  returned();
  put(ViewHeader{static_cast<std::uint32_t>(procs.size()), static_cast<std::uint32_t>(ptes.size()),
                 static_cast<std::uint32_t>(frames.size()),
                 static_cast<std::uint32_t>(slots.size()), static_cast<std::uint32_t>(pins.size()),
                 free_frames});
  put_all(procs);
  put_all(ptes);
  put_all(frames);
  put_all(slots);
  put_all(pins);
  __atomic_store_n(&progress->viewing, 0, __ATOMIC_RELEASE);
}

// Whether processes the plug-in forked are still alive (the worker is their
// subreaper, so orphans count too); reaps those that ended.
bool has_descendants() {
  for (;;) {
    pid_t pid = ::waitpid(-1, nullptr, WNOHANG);
    if (pid > 0) continue;
    return pid == 0;  // children, none ended; -1 (ECHILD): none
  }
}

void create(const cow_config& config) {
  instance = Instance{};
  instance.in = table.create(&config);
  returned();
}

// A new run in this worker: destroy, then create (a kernel with global
// state refuses a second live instance).
void serve_reset(const cow_config& config) {
  if (instance.in) {
    table.destroy(instance.in);
    returned();
  }
  instance = Instance{};
  Reply reply{COW_OK, COW_FAULT_NONE, 0, 0, 0};
  if (has_descendants()) {
    reply.value = 1;
  } else {
    create(config);
    if (!instance.in) reply.status = COW_UNSUPPORTED;
  }
  put(reply);
  if (instance.in && white_box()) put_view(config);
  flush();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 8) refuse("usage: cowcheck-worker PLUGIN PAGES FRAMES PROCS WORDS POLICY OOM");
  // A plug-in that prints must not corrupt the protocol: stdout goes to stderr.
  ::dup2(STDERR_FILENO, STDOUT_FILENO);
  auto number = [&](int i) {
    return static_cast<std::uint32_t>(std::strtoul(argv[i], nullptr, 10));
  };
  cow_config config{};
  config.pages = number(2);
  config.frames = number(3);
  config.procs = number(4);
  config.words = number(5);
  config.policy = number(6);
  config.oom = number(7);
  if (config.words > kWords) refuse("words must be at most 4");

  // Processes the plug-in forks come back to the worker when orphaned, so
  // that a reset can tell whether any outlived the run.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  load(argv[1]);
  create(config);
  if (!instance.in) {
    static const char* const policies[] = {"mapcount", "pagecount", "exclusive"};
    refuse("create() returned NULL for this configuration (pages " + std::to_string(config.pages) +
           ", frames " + std::to_string(config.frames) + ", procs " + std::to_string(config.procs) +
           ", words " + std::to_string(config.words) + ", policy " +
           (config.policy <= COW_REUSE_EXCLUSIVE ? policies[config.policy] : "?") + ", oom " +
           (config.oom == COW_OOM_KILL ? "kill" : "error") + ")");
  }
  put(Hello{kHelloMagic, 1, white_box() ? 1u : 0u, table.abi_version, supported_ops(), map_kinds(),
            0});
  if (white_box()) put_view(config);
  flush();

  Request request{};
  while (next_request(request)) {
    if (request.code == Code::Reset) {
      serve_reset(config);
      continue;
    }
    if (!instance.in) std::_Exit(3);  // the oracle retires a worker without one
    Reply reply = serve_op(instance.in, request);
    put(reply);
    if (reply.status != COW_UNSUPPORTED) {
      track(request, reply);
      if (white_box()) put_view(config);
    }
    flush();
  }
  if (instance.in) table.destroy(instance.in);
  return 0;
}
