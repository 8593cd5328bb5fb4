// Comparing two snapshots up to a renaming of frames, and saying where they
// first differ in a reader's terms: which PTE or which frame, and what each
// side has there.
#pragma once

#include <optional>
#include <vector>

#include "spec/invariants.h"
#include "spec/snapshot.h"

namespace cow {

// The first difference between the reference's snapshot `want` and the
// implementation's `got`, both canonical (spec canonicalize()), as a DIFF
// violation located at its PTE or frame; nullopt when they are equal.
std::optional<Violation> snapshot_difference(const Snapshot& want, const Snapshot& got);

// canonicalize(a) == canonicalize(b), without building either: the
// differential engine asks this every few ops, so it keeps its scratch
// space between calls and allocates nothing once warm.
class CanonicalComparer {
 public:
  bool equal(const Snapshot& a, const Snapshot& b);

 private:
  // One side's renaming: old frame -> canonical name, and the frames in
  // canonical order.
  struct Side {
    std::vector<Pfn> name;                 // indexed by old frame; kNoFrame: not named yet
    std::vector<const FrameView*> frames;  // indexed by canonical name
    std::vector<Pfn> named;                // old frames named, to reset `name` cheaply
    Pfn rename(Pfn old);
    bool build(const Snapshot& s);  // false: a frame number too large to index
    void reset();
  };
  Side a_, b_;
};

}  // namespace cow
