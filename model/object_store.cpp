#include "model/object_store.h"

namespace cow::model {

ObjectStore::ObjectStore(const Config& config) : size_(config.pages) {
  std::vector<Page>& file = objects_[kFileObject];
  file.resize(size_);
  for (Vpn p = 0; p < size_; ++p)
    for (std::uint32_t w = 0; w < config.words; ++w) file[p].data[w] = file_word(p, w);
}

ObjectId ObjectStore::create() {
  objects_[next_].resize(size_);
  return next_++;
}

void ObjectStore::write_back(ObjectPage p, const PageData& data) {
  Page& page = pages(p.object).at(p.page);
  page.data = data;
  page.frame = kNoFrame;
}

}  // namespace cow::model
