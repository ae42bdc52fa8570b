// Broadcasting add on the GPU (src/cpu/add.cpp), as torch.add; out may alias a (a thread reads its element first).
// One thread per output element; operand offsets from the broadcast plan (src/cuda/broadcast.cuh).
#include "broadcast.cuh"
#include "specnet/cuda/add.h"

namespace specnet::cuda {

template <typename T>
void add_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan) {
  const detail::BroadcastIndex bi = detail::make_broadcast_index("add", plan);
  for_each_index("add_forward", bi.n, [=] __device__(std::int64_t i) {
    std::int64_t ia, ib;
    detail::broadcast_offsets(bi, i, ia, ib);
    out[i] = a[ia] + b[ib];
  });
}

template void add_forward<float>(float*, const float*, const float*, const BroadcastPlan&);
template void add_forward<double>(double*, const double*, const double*, const BroadcastPlan&);

}  // namespace specnet::cuda
