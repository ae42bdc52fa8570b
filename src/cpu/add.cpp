// Broadcasting add / sub (torch.add, torch.sub): contiguous runs from the broadcast driver, so the same
// loop serves same-shape, scalar and general broadcasting.
#include "specnet/cpu/add.h"

#include "broadcast_loop.h"
#include "unary_loop.h"

namespace specnet::cpu {

template <typename T>
void add_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan) {
  detail::for_each_broadcast(plan, detail::kGrain,
                             [=](auto sa, auto sb, std::int64_t i, std::int64_t ia, std::int64_t ib, std::int64_t len) {
                               for (std::int64_t j = 0; j < len; ++j) out[i + j] = a[ia + j * sa] + b[ib + j * sb];
                             });
}

template <typename T>
void sub_forward(T* out, const T* a, const T* b, const BroadcastPlan& plan) {
  detail::for_each_broadcast(plan, detail::kGrain,
                             [=](auto sa, auto sb, std::int64_t i, std::int64_t ia, std::int64_t ib, std::int64_t len) {
                               for (std::int64_t j = 0; j < len; ++j) out[i + j] = a[ia + j * sa] - b[ib + j * sb];
                             });
}

#define SPECNET_INSTANTIATE(T)                                                \
  template void add_forward<T>(T*, const T*, const T*, const BroadcastPlan&); \
  template void sub_forward<T>(T*, const T*, const T*, const BroadcastPlan&);
SPECNET_INSTANTIATE(float)
SPECNET_INSTANTIATE(double)

}  // namespace specnet::cpu
