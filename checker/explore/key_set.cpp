#include "checker/explore/key_set.h"

#include <cstring>
#include <functional>
#include <stdexcept>

namespace cow::explore {

namespace {

constexpr std::size_t kBlockBytes = std::size_t{1} << 22;
constexpr std::uint64_t kRefMask = (std::uint64_t{1} << 48) - 1;
constexpr std::uint64_t kHashShift = 48;

std::uint64_t tag_of(std::uint64_t hash) { return hash >> kHashShift; }

}  // namespace

KeySet::KeySet() : slots_(std::size_t{1} << 16, 0) {}

std::uint64_t KeySet::hash(std::string_view key) { return std::hash<std::string_view>{}(key); }

std::string_view KeySet::at(std::uint64_t ref) const {
  const char* p = blocks_[ref / kBlockBytes].get() + ref % kBlockBytes;
  std::uint32_t length;
  std::memcpy(&length, p, sizeof length);
  return {p + sizeof length, length};
}

std::uint64_t KeySet::store(std::string_view key) {
  std::size_t need = sizeof(std::uint32_t) + key.size();
  if (need > kBlockBytes) throw std::length_error("KeySet: a state key over 4 MiB");
  if (blocks_.empty() || block_used_ + need > kBlockBytes) {
    blocks_.push_back(std::make_unique<char[]>(kBlockBytes));
    block_used_ = 0;
  }
  std::uint64_t ref = (blocks_.size() - 1) * kBlockBytes + block_used_;
  char* p = blocks_.back().get() + block_used_;
  auto length = static_cast<std::uint32_t>(key.size());
  std::memcpy(p, &length, sizeof length);
  std::memcpy(p + sizeof length, key.data(), key.size());
  block_used_ += need;
  return ref;
}

std::size_t KeySet::find_slot(std::string_view key, std::uint64_t hash) const {
  std::size_t mask = slots_.size() - 1;
  for (std::size_t i = hash & mask;; i = (i + 1) & mask) {
    std::uint64_t slot = slots_[i];
    if (slot == 0) return i;
    if ((slot >> kHashShift) == tag_of(hash) && at((slot & kRefMask) - 1) == key) return i;
  }
}

bool KeySet::contains(std::string_view key, std::uint64_t hash) const {
  return slots_[find_slot(key, hash)] != 0;
}

bool KeySet::insert(std::string_view key, std::uint64_t hash) {
  std::size_t i = find_slot(key, hash);
  if (slots_[i] != 0) return false;
  slots_[i] = (store(key) + 1) | tag_of(hash) << kHashShift;
  if (++size_ * 2 > slots_.size()) grow();
  return true;
}

void KeySet::grow() {
  std::vector<std::uint64_t> old(slots_.size() * 2, 0);
  old.swap(slots_);
  std::size_t mask = slots_.size() - 1;
  for (std::uint64_t slot : old) {
    if (slot == 0) continue;
    std::size_t i = hash(at((slot & kRefMask) - 1)) & mask;
    while (slots_[i] != 0) i = (i + 1) & mask;
    slots_[i] = slot;
  }
}

std::uint64_t KeySet::bytes() const {
  return slots_.size() * sizeof(std::uint64_t) + blocks_.size() * kBlockBytes;
}

}  // namespace cow::explore
