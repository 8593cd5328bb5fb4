// The set of states seen so far, as their canonical keys. Keys are packed
// end to end in large blocks and found through an open-addressing table, so
// a state costs its key's bytes and a few more, not a heap node per key.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace cow::explore {

class KeySet {
 public:
  KeySet();

  static std::uint64_t hash(std::string_view key);

  bool contains(std::string_view key, std::uint64_t hash) const;
  // False when the key was already there.
  bool insert(std::string_view key, std::uint64_t hash);

  std::uint64_t size() const { return size_; }
  std::uint64_t bytes() const;

 private:
  std::string_view at(std::uint64_t ref) const;
  std::uint64_t store(std::string_view key);
  std::size_t find_slot(std::string_view key, std::uint64_t hash) const;
  void grow();

  // A slot is 0 (empty) or the key's place in the blocks, plus one, in the
  // low 48 bits with 16 bits of its hash above, to skip most comparisons.
  std::vector<std::uint64_t> slots_;
  std::vector<std::unique_ptr<char[]>> blocks_;
  std::size_t block_used_ = 0;
  std::uint64_t size_ = 0;
};

}  // namespace cow::explore
