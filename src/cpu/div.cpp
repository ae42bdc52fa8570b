// Broadcasting divide (torch.div) forward and backward over the shared broadcast driver.
// Backward forms out-shaped gradients; the autodiff layer sums them back to each operand's shape.
#include "specnet/cpu/div.h"

#include "broadcast_loop.h"
#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void div_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan) {
  detail::for_each_broadcast(plan, detail::kGrain,
                             [=](auto sa, auto sb, std::int64_t i, std::int64_t ia, std::int64_t ib, std::int64_t len) {
                               for (std::int64_t j = 0; j < len; ++j) out[i + j] = a[ia + j * sa] / b[ib + j * sb];
                             });
}

template <typename T>
void div_backward(T* da, T* db, const T* dout, const T* a, const T* b, const BroadcastPlan& plan) {
  detail::for_each_broadcast(plan, detail::kGrain,
                             [=](auto sa, auto sb, std::int64_t i, std::int64_t ia, std::int64_t ib, std::int64_t len) {
                               if (da)
                                 for (std::int64_t j = 0; j < len; ++j) da[i + j] += dout[i + j] / b[ib + j * sb];
                               if (db)
                                 for (std::int64_t j = 0; j < len; ++j) {
                                   const T bv = b[ib + j * sb];
                                   db[i + j] -= dout[i + j] * a[ia + j * sa] / (bv * bv);
                                 }
                             });
}

#define SPECNET_INSTANTIATE(T)                                                \
  template void div_forward<T>(T*, const T*, const T*, const BroadcastPlan&); \
  template void div_backward<T>(T*, T*, const T*, const T*, const T*, const BroadcastPlan&);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
