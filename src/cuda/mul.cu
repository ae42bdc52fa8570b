// Broadcasting multiply on the GPU (src/cpu/mul.cpp), as torch.mul; backward forms out-shaped gradients.
// One thread per output element; operand offsets from the broadcast plan (src/cuda/broadcast.cuh).
#include "broadcast.cuh"
#include "specnet/cuda/mul.h"

namespace specnet::cuda {

template <typename T>
void mul_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan) {
  const detail::BroadcastIndex bi = detail::make_broadcast_index("mul", plan);
  for_each_index("mul_forward", bi.n, [=] __device__(std::int64_t i) {
    std::int64_t ia, ib;
    detail::broadcast_offsets(bi, i, ia, ib);
    out[i] = a[ia] * b[ib];
  });
}

template <typename T>
void mul_backward(T* da, T* db, const T* dout, const T* a, const T* b, const BroadcastPlan& plan) {
  const detail::BroadcastIndex bi = detail::make_broadcast_index("mul", plan);
  for_each_index("mul_backward", bi.n, [=] __device__(std::int64_t i) {
    std::int64_t ia, ib;
    detail::broadcast_offsets(bi, i, ia, ib);
    if (da) da[i] += dout[i] * b[ib];
    if (db) db[i] += dout[i] * a[ia];
  });
}

#define SPECNET_INSTANTIATE(T)                                                \
  template void mul_forward<T>(T*, const T*, const T*, const BroadcastPlan&); \
  template void mul_backward<T>(T*, T*, const T*, const T*, const T*, const BroadcastPlan&);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
