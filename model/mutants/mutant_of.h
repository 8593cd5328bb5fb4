// The base of every built-in mutant: the reference model, plus a clone()
// that copies the mutant rather than slicing it back to the model.
#pragma once

#include <memory>

#include "model/cow_model.h"

namespace cow::model {

template <class Self>
class MutantOf : public CowModel {
 public:
  using CowModel::CowModel;
  std::unique_ptr<Implementation> clone() const override {
    return std::make_unique<Self>(static_cast<const Self&>(*this));
  }
};

}  // namespace cow::model
