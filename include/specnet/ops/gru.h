// Differentiable single-direction GRU layer over a whole sequence (torch.nn.GRU's per-layer computation),
// backed by the fused kernel in src/cpu/gru.cpp.
#pragma once
#include "specnet/tensor.h"

namespace specnet {

// x (B, L, I); h0 (B, H) or undefined (zeros); w_ih (3H, I); w_hh (3H, H); b_ih, b_hh (3H) or undefined.
// -> (B, L, H), the hidden state after every step; reverse runs from t = L-1 down to 0 (outputs stay in time order,
// so the final state of a reverse layer is output[:, 0]).
Tensor gru_layer(const Tensor& x, const Tensor& h0, const Tensor& w_ih, const Tensor& w_hh, const Tensor& b_ih,
                 const Tensor& b_hh, bool reverse = false);

}  // namespace specnet
