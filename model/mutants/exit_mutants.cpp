#include "model/mutants/exit_mutants.h"

#include "model/mutants/mutant_of.h"

namespace cow::model {

namespace {

// Tears down the page table without dropping the frames' references: the
// frames are never freed, and a survivor that is now sole owner still
// sees a shared count and copies.
class ExitLeaks : public MutantOf<ExitLeaks> {
  using MutantOf::MutantOf;
  void exit_drop_page(Pte& pte) override { pte = Pte{}; }
};

}  // namespace

std::unique_ptr<Implementation> make_exit_leaks(const Config& c) {
  return std::make_unique<ExitLeaks>(c);
}

}  // namespace cow::model
