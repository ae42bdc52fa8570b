// Parameter EMA update on the GPU: torch's lerp formula as optim::ema_update (src/optim/ema.cpp), which is its
// CPU reference; used by optim::ParameterEma when the parameters are on cuda.
#include "specnet/cuda/kernel.cuh"
#include "specnet/cuda/optim.h"

namespace specnet::cuda {

template <typename T>
void ema_update(T* avg, const T* p, std::int64_t n, T weight) {
  const bool near_avg = (weight < T(0) ? -weight : weight) < T(0.5);
  const T one_minus = T(1) - weight;
  for_each_index("ema_update", n, [=] __device__(std::int64_t i) {
    avg[i] = near_avg ? avg[i] + weight * (p[i] - avg[i]) : p[i] - (p[i] - avg[i]) * one_minus;
  });
}

template void ema_update<float>(float*, const float*, std::int64_t, float);
template void ema_update<double>(double*, const double*, std::int64_t, double);

}  // namespace specnet::cuda
