#include "model/stepped/race_mutants.h"

namespace cow::model {

namespace {

class NoPteRecheck final : public SteppedModel {
 public:
  using SteppedModel::SteppedModel;
  std::unique_ptr<Implementation> clone() const override {
    return std::make_unique<NoPteRecheck>(*this);
  }

 protected:
  bool wp_pte_same(const Pte&, const Pte&) const override { return true; }
};

class DirtyCow final : public SteppedModel {
 public:
  using SteppedModel::SteppedModel;
  std::unique_ptr<Implementation> clone() const override {
    return std::make_unique<DirtyCow>(*this);
  }

 protected:
  bool gup_keeps_write_after_cow() const override { return false; }
};

class GupFastNoRecheck final : public SteppedModel {
 public:
  using SteppedModel::SteppedModel;
  std::unique_ptr<Implementation> clone() const override {
    return std::make_unique<GupFastNoRecheck>(*this);
  }

 protected:
  bool gup_fast_changed(const Task&, const Pte&) const override { return false; }
};

class NoTlbFlush final : public SteppedModel {
 public:
  using SteppedModel::SteppedModel;
  std::unique_ptr<Implementation> clone() const override {
    return std::make_unique<NoTlbFlush>(*this);
  }

 protected:
  // Only the CPU that broke COW forgets the old translation.
  void wp_flush(std::uint32_t space, Vpn vpn, Lane lane) override {
    (void)space;
    forget_own(vpn, lane);
  }
};

}  // namespace

std::optional<RaceMutant> race_mutant_named(std::string_view impl) {
  if (impl.starts_with(kRaceMutantPrefix)) impl.remove_prefix(kRaceMutantPrefix.size());
  for (const RaceMutantRow& row : kRaceMutants)
    if (row.name == impl) return row.id;
  return std::nullopt;
}

std::unique_ptr<SteppedModel> make_race_mutant(RaceMutant id, const Config& config) {
  switch (id) {
    case RaceMutant::NoPteRecheck: return std::make_unique<NoPteRecheck>(config);
    case RaceMutant::DirtyCow: return std::make_unique<DirtyCow>(config);
    case RaceMutant::GupFastNoRecheck: return std::make_unique<GupFastNoRecheck>(config);
    case RaceMutant::NoTlbFlush: return std::make_unique<NoTlbFlush>(config);
  }
  return nullptr;
}

}  // namespace cow::model
