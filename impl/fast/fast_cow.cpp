#include "impl/fast/fast_cow.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "spec/panic.h"

namespace cow::fast {

namespace {

Geometry geometry_for(const Config& config, const FastOptions& options) {
  Geometry g = Geometry::radix(config.frames);
  if (options.mutation == Mutation::IndexShift) g.shift[1] -= 1;
  return g;
}

// How many leading entries of any table a machine of `config.pages` pages
// can index: an index at any level is at most the vpn, so below `pages`.
std::uint32_t tables_used(const Config& config, const Geometry& g) {
  return static_cast<std::uint32_t>(std::clamp<std::uint64_t>(config.pages, 1, g.entries()));
}

bool range_ok(const Op& op, const Config& c) {
  return op.count > 0 && op.vpn < c.pages && op.count <= c.pages - op.vpn;
}

}  // namespace

FastCow::FastCow(const Config& config, const FastOptions& options)
    : config_(config),
      options_(options),
      geometry_(geometry_for(config, options)),
      frames_(config.frames, geometry_.page_size()),
      tables_(geometry_.entries(), tables_used(config, geometry_)),
      meta_(config.frames) {
  if (geometry_.levels < 2 || geometry_.levels > kMaxLevels)
    panic("FastCow", "the radix tree needs 2 to 5 levels");
  if (config.pages > geometry_.max_pages() || config.words > kMaxWords)
    panic("FastCow", "the configuration does not fit the geometry");
  objects_.emplace_back();  // object 0: the file
  // The first process maps every page, each in its own zero-filled frame.
  Process& init = processes_[kInitPid];
  init.space = kInitPid;
  init.group = kInitPid;
  init.root = tables_.table_alloc();
  for (Vpn vpn = 0; vpn < config.pages; ++vpn) {
    if (frames_.free_count() == 0) panic("FastCow", "fewer frames than pages");
    Pfn frame = frame_take(vpn);
    // Only the words are observable (a freed frame is poisoned the same
    // way): a heap arena clears those, not 4 KiB a page.
    if (!frames_.zero_filled()) frames_.frame_zero_words(frame);
    Loc loc = walk_alloc(init.root, vpn);
    tables_.entry(loc) = pte_make_page(frame);
    rmap_add(meta_[frame].rmap, loc);
  }
}

std::unique_ptr<Implementation> FastCow::clone() const { return std::make_unique<FastCow>(*this); }

// The checks every engine expects in the semantics' order: the pin, the
// process, suspension, then the op's own arguments.
Outcome FastCow::apply(const Op& op) {
  if (op.kind == OpKind::Unpin) return do_unpin(op.pin, op.word);
  auto it = processes_.find(op.pid);
  if (it == processes_.end()) return Outcome::error(Status::NoSuchProcess);
  Process& proc = it->second;
  if (proc.suspended) return Outcome::error(Status::Suspended);
  switch (op.kind) {
    case OpKind::Fork: return do_fork(proc);
    case OpKind::Vfork: return do_vfork(proc, op.pid);
    case OpKind::Exit: return do_exit(op.pid);
    case OpKind::Exec: return do_exec(op.pid);
    case OpKind::Thread: return do_thread(proc);
    case OpKind::Mmap:
      if (!range_ok(op, config_) || op.map == MapKind::None)
        return Outcome::error(Status::BadAddress);
      return do_mmap(space_of(proc), op.vpn, op.count, op.map);
    case OpKind::Munmap:
      if (!range_ok(op, config_)) return Outcome::error(Status::BadAddress);
      return do_mmap(space_of(proc), op.vpn, op.count, MapKind::None);
    case OpKind::Madvise:
      if (!range_ok(op, config_)) return Outcome::error(Status::BadAddress);
      return do_madvise(space_of(proc), op.vpn, op.count);
    default: return page_op(proc, op);
  }
}

// Ops on one page of one process: write, read, copyout, memwrite, pin, swapout.
Outcome FastCow::page_op(Process& proc, const Op& op) {
  if (op.vpn >= config_.pages || op.word >= config_.words)
    return Outcome::error(Status::BadAddress);
  Process& space = space_of(proc);
  switch (op.kind) {
    case OpKind::Write: return do_write(op.pid, space, op.vpn, op.word, op.value);
    case OpKind::Read: return do_read(op.pid, space, op.vpn, op.word);
    case OpKind::Copyout: return do_copyout(op.pid, space, op.vpn, op.word, op.value);
    case OpKind::Memwrite: return do_memwrite(op.pid, space, op.vpn, op.word, op.value);
    case OpKind::Pin: return do_pin(op.pid, space, op.vpn, op.rw);
    case OpKind::Swapout: return do_swapout(space, op.vpn);
    default: break;
  }
  panic("page_op", "not a page op");
}

FastCow::Walk FastCow::walk(TableId root, Vpn vpn) const {
  Walk w;
  TableId table = root;
  for (std::uint32_t level = geometry_.root_level(); level > 0; --level) {
    std::uint32_t index = geometry_.index(level, vpn);
    Pte entry = tables_.entry_or_empty(table, index);
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

// The leaf entry for `vpn`, with every missing table on the way allocated
// (a new table is its process's alone, so its entry is writable).
Loc FastCow::walk_alloc(TableId root, Vpn vpn) {
  TableId table = root;
  for (std::uint32_t level = geometry_.root_level(); level > 0; --level) {
    Pte& entry = tables_.entries(table)[geometry_.index(level, vpn)];
    if (!pte_present(entry)) entry = pte_make_table(tables_.table_alloc());
    table = pte_frame(entry);
  }
  return tables_.loc(table, geometry_.index(0, vpn));
}

// A walk to a leaf entry this process may change for itself alone: missing
// tables allocated, a leaf table fork shares unshared, one it is the last
// sharer of reclaimed. Every per-process change of a leaf entry goes
// through here; changes made through the reverse map (swapout, swap-in)
// apply to every sharer alike and change shared tables in place.
FastCow::Walk FastCow::leaf_for_update(Process& space, Vpn vpn) {
  Walk w = walk(space.root, vpn);
  if (!w.found) {
    walk_alloc(space.root, vpn);
    w = walk(space.root, vpn);
  }
  if (tables_.refcount(w.leaf_table) > 1)
    table_unshare(w, vpn);
  else if (!w.path_writable)
    table_reclaim(w, vpn);
  return w;
}

TranslationCache& FastCow::tlb(Process& space) {
  if (space.tlb_generation != tlb_generation_) {
    space.tlb.flush_all();
    space.tlb_generation = tlb_generation_;
  }
  return space.tlb;
}

Outcome FastCow::out_of_memory(Pid pid) {
  if (config_.oom == OomPolicy::Kill) {
    do_exit(pid);
    return Outcome::error(Status::Killed);
  }
  return Outcome::error(Status::OutOfMemory);
}

Outcome FastCow::do_read(Pid pid, Process& space, Vpn vpn, std::uint32_t word) {
  if (options_.translation_cache)
    if (const TranslationCache::Entry* hit = tlb(space).lookup(vpn))
      return Outcome::read(frames_.read_word(hit->frame, word));
  Walk w = walk(space.root, vpn);
  Pte pte = pte_seen(w);
  Fault fault = Fault::None;
  if (!pte_present(pte)) {
    MapKind kind = pte_kind(pte);
    if (kind == MapKind::None) return Outcome::error(Status::BadAddress);
    // An untouched private anon page reads as zero and stays untouched.
    if (kind == MapKind::PrivateAnon && !pte_swap(pte)) return Outcome::read(0);
    FaultPlan plan = plan_fault(space, vpn, Access::Read);
    if (plan.frames > frames_.free_count()) return out_of_memory(pid);
    fault = fault_in(space, vpn, plan);
    w = walk(space.root, vpn);
    pte = pte_seen(w);
  }
  if (options_.translation_cache) space.tlb.fill(vpn, pte_frame(pte), pte_writable(pte));
  return Outcome::read(frames_.read_word(pte_frame(pte), word), fault);
}

Outcome FastCow::do_write(Pid pid, Process& space, Vpn vpn, std::uint32_t word, Value value) {
  if (options_.translation_cache) {
    const TranslationCache::Entry* hit = tlb(space).lookup(vpn);
    if (hit && hit->writable) {
      frames_.write_word(hit->frame, word, value);
      return Outcome::wrote(Fault::None);
    }
  }
  Walk w = walk(space.root, vpn);
  Pte pte = pte_seen(w);
  if (pte_present(pte) && pte_writable(pte)) {
    Pfn frame = pte_frame(pte);
    if (options_.translation_cache) space.tlb.fill(vpn, frame, true);
    frames_.write_word(frame, word, value);
    return Outcome::wrote(Fault::None);
  }
  // The common write fault, on a present copy-on-write page: one walk, the
  // predicate, one action. A fault changes the PTE and flushes its cached
  // translation; the next access fills the cache again, as the retried
  // access would on hardware.
  if (pte_present(pte) && pte_cow(pte)) {
    bool reuse = meta_[pte_frame(pte)].object == kNoObject && can_reuse(pte, w.leaf_table);
    if (!reuse && frames_.free_count() == 0) return out_of_memory(pid);
    Fault fault = wp_fault(space, vpn, w, reuse);
    frames_.write_word(pte_frame(leaf(w)), word, value);
    return Outcome::wrote(fault);
  }
  MapKind kind = pte_kind(pte);
  if (kind == MapKind::None) return Outcome::error(Status::BadAddress);
  if (kind == MapKind::Text) return Outcome::error(Status::ProtFault);
  FaultPlan plan = plan_fault(space, vpn, Access::Write);
  if (plan.frames > frames_.free_count()) return out_of_memory(pid);
  Fault fault = fault_in(space, vpn, plan);
  w = walk(space.root, vpn);
  frames_.write_word(pte_frame(leaf(w)), word, value);
  return Outcome::wrote(fault);
}

// The kernel writing into a user page (copy_to_user): no translation cache,
// a software walk of the user page table, and where the PTE does not allow
// the store, the write fault handler (handle_mm_fault with FAULT_FLAG_WRITE)
// and a retry, as fixup_user_fault does. It must take the COW path exactly
// as a user write does, or it writes into a frame other processes share.
Outcome FastCow::do_copyout(Pid pid, Process& space, Vpn vpn, std::uint32_t word, Value value) {
  Fault fault = Fault::None;
  for (int attempt = 0; attempt < 2; ++attempt) {
    Walk w = walk(space.root, vpn);
    Pte pte = pte_seen(w);
    if (pte_present(pte) && pte_writable(pte)) {
      frames_.write_word(pte_frame(pte), word, value);
      return Outcome::wrote(fault);
    }
    if (attempt > 0) break;
    MapKind kind = pte_kind(pte);
    if (kind == MapKind::None) return Outcome::error(Status::BadAddress);
    if (kind == MapKind::Text) return Outcome::error(Status::ProtFault);
    FaultPlan plan = plan_fault(space, vpn, Access::Write);
    if (plan.frames > frames_.free_count()) return out_of_memory(pid);
    fault = fault_in(space, vpn, plan);
  }
  panic("do_copyout", "the page is not writable after its write fault");
}

// A write through /proc/PID/mem (get_user_pages with FOLL_FORCE|FOLL_WRITE):
// on a mapping the process may write, the kernel's store through the user's
// write fault path, as copyout; on text, which it may not, the fault breaks
// COW anyway: the writer gets a private copy its PTE maps read-only, as the
// mapping is, and the store goes there. The file's frame is never written.
Outcome FastCow::do_memwrite(Pid pid, Process& space, Vpn vpn, std::uint32_t word, Value value) {
  MapKind kind = pte_kind(pte_seen(walk(space.root, vpn)));
  if (kind == MapKind::None) return Outcome::error(Status::BadAddress);
  if (kind != MapKind::Text) return do_copyout(pid, space, vpn, word, value);
  FaultPlan plan = plan_fault(space, vpn, Access::Force);
  if (plan.frames > frames_.free_count()) return out_of_memory(pid);
  Fault fault = fault_in(space, vpn, plan);
  Pte pte = pte_seen(walk(space.root, vpn));
  if (!pte_present(pte)) panic("do_memwrite", "the page is not present after its fault");
  frames_.write_word(pte_frame(pte), word, value);
  return Outcome::wrote(fault);
}

// mmap (kind not None) and munmap (kind None) of [vpn, vpn + count): each
// page's frame or slot is dropped and the entry takes the new kind, with
// nothing present. A shared-anon mapping is one new object.
Outcome FastCow::do_mmap(Process& space, Vpn vpn, std::uint32_t count, MapKind kind) {
  std::uint32_t object = 0;
  if (kind == MapKind::SharedAnon) {
    object = static_cast<std::uint32_t>(objects_.size());
    objects_.emplace_back();
  }
  for (Vpn v = vpn; v < vpn + count; ++v) {
    // An untouched private anon page under a missing table stays as it is.
    if (kind == MapKind::PrivateAnon && !walk(space.root, v).found) continue;
    Walk w = leaf_for_update(space, v);
    Pte old = leaf(w);
    leaf(w) = pte_make_unmapped(kind, object);
    entry_release(leaf_loc(w), old);
    tlb_flush_page(space, v);
  }
  return Outcome::ok();
}

// MADV_DONTNEED over [vpn, vpn + count): each page's frame or slot is
// dropped and its entry is not present again with its kind kept, so the
// next touch zero-fills a private anon page and pages a file, text or
// shared page in from its object (a private copy is gone; a shared page's
// object keeps what was written).
Outcome FastCow::do_madvise(Process& space, Vpn vpn, std::uint32_t count) {
  for (Vpn v = vpn; v < vpn + count; ++v) {
    Walk w = walk(space.root, v);
    if (!w.found) continue;  // untouched private anon: nothing to drop
    Pte pte = pte_seen(w);
    if (!pte_present(pte) && !pte_swap(pte)) continue;
    MapKind kind = pte_kind(pte);
    std::uint32_t object =
        kind == MapKind::SharedAnon && pte_present(pte) ? meta_[pte_frame(pte)].object : 0;
    w = leaf_for_update(space, v);
    Pte old = leaf(w);
    leaf(w) = pte_make_unmapped(kind, object);
    entry_release(leaf_loc(w), old);
    tlb_flush_page(space, v);
  }
  return Outcome::ok();
}

// A long-term reference (get_user_pages): fault the page in as the access
// needs (rw: as a write, without the store; ro: as a read, but a pin needs a
// frame, and under the exclusive policy a page its process does not own is
// unshared first, so that the pin lands on a page that stays its process's).
Outcome FastCow::do_pin(Pid pid, Process& space, Vpn vpn, bool rw) {
  MapKind kind = pte_kind(pte_seen(walk(space.root, vpn)));
  if (kind == MapKind::None) return Outcome::error(Status::BadAddress);
  if (rw && kind == MapKind::Text) return Outcome::error(Status::ProtFault);
  Access access = rw ? Access::Write : Access::PinRo;
  FaultPlan plan = plan_fault(space, vpn, access);
  if (plan.frames > frames_.free_count()) return out_of_memory(pid);
  Fault fault = fault_in(space, vpn, plan);
  // A read-only pin's unshare of a text page's forced copy that the pinner
  // may keep changes nothing, and reports no fault.
  if (plan.forced && plan.reuse) fault = Fault::None;
  Pte pte = pte_seen(walk(space.root, vpn));
  if (!pte_present(pte)) panic("do_pin", "the page is not present after its fault");
  Pfn frame = pte_frame(pte);
  frames_.frame_get(frame);
  ++meta_[frame].pins;
  PinId id = next_pin_++;
  pins_[id] = Pin{frame, rw};
  return Outcome::pinned(id, fault);
}

Outcome FastCow::do_unpin(PinId id, std::uint32_t word) {
  auto it = pins_.find(id);
  if (it == pins_.end()) return Outcome::error(Status::NoSuchPin);
  if (word >= config_.words) return Outcome::error(Status::BadAddress);
  Pfn frame = it->second.frame;
  Value value = frames_.read_word(frame, word);
  pins_.erase(it);
  --meta_[frame].pins;
  frame_drop(frame);
  return Outcome::read(value);
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
  Walk w = walk(space_of(it->second).root, vpn);
  if (!w.found) return std::nullopt;
  return w.leaf_table;
}

}  // namespace cow::fast
