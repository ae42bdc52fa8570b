// A small flow-autoencoder and a toy data set for the BHB tests. The network: 40 bins, context 24, three 6-bin
// spline transforms; the decoder's dropout is a parameter (0: deterministic stage-1 training, > 0: exercises the
// module RNG).
#pragma once
#include <cmath>

#include "specnet/bhb/dataset.h"
#include "specnet/bhb/network.h"
#include "specnet/rng.h"

namespace specnet::test {

inline bhb::NetworkConfig toy_bhb_config(double decoder_dropout = 0) {
  bhb::NetworkConfig c;
  c.bins = 40;
  c.context = 24;
  c.conv_channels = {8, 8, 8, 8};  // 40 -> 20 -> 18 -> 9 -> 7
  c.decoder_hidden = {24};
  c.decoder_dropout = decoder_dropout;
  c.flow.transforms = 3;
  c.flow.hidden = {24, 24};
  c.flow.bins = 6;
  return c;
}

// Toy set: 5 parameters drawn like the paper's (log-uniform / uniform), each setting the level of 8 of 40 bins with
// 2% Gaussian noise, so every parameter is identifiable and the posterior is narrow.
inline bhb::Dataset toy_set(std::int64_t N, std::uint64_t seed) {
  bhb::Dataset d;
  d.header.bins = 40;
  Rng rng(seed);
  for (std::int64_t i = 0; i < N; ++i) {
    double th[5];
    for (int p = 0; p < 5; ++p) th[p] = bhb::kParamLog[p] ? std::pow(10.0, rng.uniform(0, 1)) : rng.uniform(1.3, 4);
    d.index.push_back(i);
    d.counts.push_back(1e5);
    for (int p = 0; p < 5; ++p) d.params.push_back(th[p]);
    for (int l = 0; l < 40; ++l) {
      const double level = bhb::kParamLog[l / 8] ? th[l / 8] : std::pow(10.0, (th[l / 8] - 1.3) / 2.7);
      const double rate = level * (1 + 0.05 * l);
      d.rate.push_back(static_cast<float>(rate * (1 + 0.02 * rng.normal())));
      d.sigma.push_back(static_cast<float>(0.02 * rate));
    }
  }
  return d;
}

}  // namespace specnet::test
