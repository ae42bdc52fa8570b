// Broadcasting divide on the GPU (src/cpu/div.cpp), as torch.div; backward forms out-shaped gradients.
// One thread per output element; operand offsets from the broadcast plan (src/cuda/broadcast.cuh).
#include "broadcast.cuh"
#include "specnet/cuda/div.h"

namespace specnet::cuda {

template <typename T>
void div_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan) {
  const detail::BroadcastIndex bi = detail::make_broadcast_index("div", plan);
  for_each_index("div_forward", bi.n, [=] __device__(std::int64_t i) {
    std::int64_t ia, ib;
    detail::broadcast_offsets(bi, i, ia, ib);
    out[i] = a[ia] / b[ib];
  });
}

template <typename T>
void div_backward(T* da, T* db, const T* dout, const T* a, const T* b, const BroadcastPlan& plan) {
  const detail::BroadcastIndex bi = detail::make_broadcast_index("div", plan);
  for_each_index("div_backward", bi.n, [=] __device__(std::int64_t i) {
    std::int64_t ia, ib;
    detail::broadcast_offsets(bi, i, ia, ib);
    const T bv = b[ib];
    if (da) da[i] += dout[i] / bv;
    if (db) db[i] -= dout[i] * a[ia] / (bv * bv);
  });
}

#define SPECNET_INSTANTIATE(T)                                                \
  template void div_forward<T>(T*, const T*, const T*, const BroadcastPlan&); \
  template void div_backward<T>(T*, T*, const T*, const T*, const T*, const BroadcastPlan&);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cuda
