#include "impl/fast/fast_cow.h"

#include <stdexcept>
#include <string>

namespace cow::fast {

namespace {

Geometry geometry_for(const Config& config, const FastOptions& options) {
  Geometry g = Geometry::radix(config.frames);
  if (options.mutation == Mutation::IndexShift) g.shift[1] -= 1;
  return g;
}

[[noreturn]] void panic(const char* function, const std::string& reason) {
  throw std::logic_error(std::string(function) + ": " + reason);
}

}  // namespace

FastCow::FastCow(const Config& config, const FastOptions& options)
    : config_(config),
      options_(options),
      geometry_(geometry_for(config, options)),
      frames_(config.frames, geometry_.page_size()),
      tables_(geometry_.entries()) {
  if (geometry_.levels < 2 || geometry_.levels > kMaxLevels)
    panic("FastCow", "the radix tree needs 2 to 5 levels");
  if (config.pages > geometry_.max_pages() || config.words > kMaxWords)
    panic("FastCow", "the configuration does not fit the geometry");
  // The first process maps every page, each in its own zero-filled frame.
  Process& init = processes_[kInitPid];
  init.root = tables_.table_alloc();
  for (Vpn vpn = 0; vpn < config.pages; ++vpn) {
    std::optional<Pfn> frame = frames_.frame_alloc();
    if (!frame) panic("FastCow", "fewer frames than pages");
    if (!frames_.zero_filled()) frames_.frame_zero(*frame);
    walk_alloc(init.root, vpn) = pte_make_page(*frame);
  }
}

std::unique_ptr<Implementation> FastCow::clone() const { return std::make_unique<FastCow>(*this); }

Outcome FastCow::apply(const Op& op) {
  auto it = processes_.find(op.pid);
  if (it == processes_.end()) return Outcome::error(Status::NoSuchProcess);
  bool valid_address = op.vpn < config_.pages && op.word < config_.words;
  switch (op.kind) {
    case OpKind::Fork:
      return do_fork(it->second);
    case OpKind::Write:
      if (!valid_address) return Outcome::error(Status::BadAddress);
      return do_write(it->second, op.vpn, op.word, op.value);
    case OpKind::Read:
      if (!valid_address) return Outcome::error(Status::BadAddress);
      return do_read(it->second, op.vpn, op.word);
    case OpKind::Exit:
      return do_exit(op.pid);
  }
  return Outcome::error(Status::NoSuchProcess);
}

FastCow::Walk FastCow::walk(TableId root, Vpn vpn) const {
  Walk w;
  TableId table = root;
  for (std::uint32_t level = geometry_.root_level(); level > 0; --level) {
    std::uint32_t index = geometry_.index(level, vpn);
    Pte entry = tables_.entries(table)[index];
    if (!pte_present(entry)) return w;
    w.path_writable = w.path_writable && pte_writable(entry);
    w.upper_table = table;
    w.upper_index = index;
    table = pte_frame(entry);
  }
  w.found = true;
  w.leaf_table = table;
  w.leaf_index = geometry_.index(0, vpn);
  return w;
}

// Only the first process is built this way: fork copies tables whole.
Pte& FastCow::walk_alloc(TableId root, Vpn vpn) {
  TableId table = root;
  for (std::uint32_t level = geometry_.root_level(); level > 0; --level) {
    Pte& entry = tables_.entries(table)[geometry_.index(level, vpn)];
    if (!pte_present(entry)) entry = pte_make_table(tables_.table_alloc());
    table = pte_frame(entry);
  }
  return tables_.entries(table)[geometry_.index(0, vpn)];
}

Outcome FastCow::do_read(Process& proc, Vpn vpn, std::uint32_t word) {
  if (options_.translation_cache)
    if (const TranslationCache::Entry* hit = proc.tlb.lookup(vpn))
      return Outcome::read(frames_.read_word(hit->frame, word));
  Walk w = walk(proc.root, vpn);
  if (!w.found || !pte_present(leaf(w))) panic("do_read", "a page of a live process is not mapped");
  Pte pte = pte_effective(leaf(w), w.path_writable);
  if (options_.translation_cache) proc.tlb.fill(vpn, pte_frame(pte), pte_writable(pte));
  return Outcome::read(frames_.read_word(pte_frame(pte), word));
}

Outcome FastCow::do_write(Process& proc, Vpn vpn, std::uint32_t word, Value value) {
  if (options_.translation_cache) {
    const TranslationCache::Entry* hit = proc.tlb.lookup(vpn);
    if (hit && hit->writable) {
      frames_.write_word(hit->frame, word, value);
      return Outcome::wrote(Fault::None);
    }
  }
  Walk w = walk(proc.root, vpn);
  if (!w.found || !pte_present(leaf(w))) panic("do_write", "a page of a live process is not mapped");
  if (pte_writable(pte_effective(leaf(w), w.path_writable))) {
    Pfn frame = pte_frame(leaf(w));
    if (options_.translation_cache) proc.tlb.fill(vpn, frame, true);
    frames_.write_word(frame, word, value);
    return Outcome::wrote(Fault::None);
  }
  // A fault changes the PTE and flushes its cached translation; the next
  // access fills the cache again, as the retried access would on hardware.
  Outcome served = wp_fault(proc, vpn, w);
  if (served.status == Status::Ok) frames_.write_word(pte_frame(leaf(w)), word, value);
  return served;
}

void FastCow::flush_translation_caches() {
  for (auto& [pid, proc] : processes_) proc.tlb.flush_all();
}

void FastCow::set_translation_cache(bool on) {
  flush_translation_caches();
  options_.translation_cache = on;
}

std::optional<TableId> FastCow::leaf_table_of(Pid pid, Vpn vpn) const {
  auto it = processes_.find(pid);
  if (it == processes_.end()) return std::nullopt;
  Walk w = walk(it->second.root, vpn);
  if (!w.found) return std::nullopt;
  return w.leaf_table;
}

}  // namespace cow::fast
