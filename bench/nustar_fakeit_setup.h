// Shared fixture of the fakeit benchmarks: the built-in NuSTAR response at 1 Ms with the nuskybgd background of
// a 60" circle (background region 4x larger), as a 1 Ms IC-paper observation; built once per binary.
#pragma once
#include "specnet/sim/fakeit.h"
#include "specnet/sim/nustar_background.h"

namespace specnet::bench {

inline const sim::FakeitSetup& nustar_fakeit_setup() {
  static const sim::FakeitSetup s = [] {
    sim::InstrumentResponse r = sim::builtin_response("nustar");
    sim::NustarRegion src, bkg;
    bkg.area_arcmin2 = 4 * src.area_arcmin2;
    std::vector<double> rate = sim::nustar_background(r, bkg).total;
    return sim::make_fakeit_setup(std::move(r), 1e6, rate, sim::nustar_backscal(src.area_arcmin2),
                                  sim::nustar_backscal(bkg.area_arcmin2));
  }();
  return s;
}

}  // namespace specnet::bench
