// A small flow-autoencoder for the BHB tests: 40 bins, context 24, three 6-bin spline transforms; the decoder's
// dropout is a parameter (0: deterministic stage-1 training, > 0: exercises the module RNG).
#pragma once
#include "specnet/bhb/network.h"

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

}  // namespace specnet::test
