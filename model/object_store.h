// Memory objects: the one file (object 0) and one object per shared
// anonymous mapping. An object page lives in its backing store, or in one
// cache frame while anything maps or pins it.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "spec/types.h"

namespace cow::model {

using ObjectId = std::uint32_t;
inline constexpr ObjectId kFileObject = 0;

// Object page p is always mapped at vpn p, so a page is named by both.
struct ObjectPage {
  ObjectId object = kFileObject;
  Vpn page = 0;
  friend bool operator==(const ObjectPage&, const ObjectPage&) = default;
};

class ObjectStore {
 public:
  explicit ObjectStore(const Config& config);

  // A new shared anonymous object: every page zero.
  ObjectId create();

  Pfn cached(ObjectPage p) const { return pages(p.object).at(p.page).frame; }
  const PageData& backing(ObjectPage p) const { return pages(p.object).at(p.page).data; }
  void cache(ObjectPage p, Pfn frame) { pages(p.object).at(p.page).frame = frame; }
  // The cache frame is going away: its contents become the backing store.
  void write_back(ObjectPage p, const PageData& data);

 private:
  struct Page {
    PageData data{};
    Pfn frame = kNoFrame;
    friend bool operator==(const Page&, const Page&) = default;
  };
  std::vector<Page>& pages(ObjectId id) { return objects_.at(id); }
  const std::vector<Page>& pages(ObjectId id) const { return objects_.at(id); }

  std::uint32_t size_;
  std::map<ObjectId, std::vector<Page>> objects_;
  ObjectId next_ = kFileObject + 1;

 public:
  friend bool operator==(const ObjectStore&, const ObjectStore&) = default;
};

}  // namespace cow::model
