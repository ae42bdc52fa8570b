// Fused GRU layer kernels on the GPU (one direction), torch.nn.GRU semantics; the input projection is one cuBLAS
// GEMM and the whole recurrence one kernel. Same names and arguments as specnet/cpu/gru.h; device pointers.
#pragma once
#include <cstdint>

namespace specnet::cuda {

// x (B, L, I); h0 (B, H) or null (zeros); w_ih (3H, I); w_hh (3H, H); b_ih, b_hh (3H) or null.
// -> out (B, L, H): the hidden state after each step (time order kept; `reverse` runs t = L-1 .. 0);
//    gates (B, L, 4H): r, z, n and W_hn h + b_hn per step, saved for backward.
template <typename T>
void gru_forward(T* out, T* gates, const T* x, const T* h0, const T* w_ih, const T* w_hh, const T* b_ih,
                 const T* b_hh, std::int64_t B, std::int64_t L, std::int64_t I, std::int64_t H, bool reverse);

// Backward through time from dout (B, L, H); accumulates dx (B, L, I), dh0 (B, H), dw_ih, dw_hh, db_ih, db_hh
// (any may be null). Per-batch-chunk partial weight gradients are summed in chunk order (thread-count independent).
template <typename T>
void gru_backward(T* dx, T* dh0, T* dw_ih, T* dw_hh, T* db_ih, T* db_hh, const T* dout, const T* out, const T* gates,
                  const T* x, const T* h0, const T* w_ih, const T* w_hh, std::int64_t B, std::int64_t L,
                  std::int64_t I, std::int64_t H, bool reverse);

}  // namespace specnet::cuda
