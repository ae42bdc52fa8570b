// Broadcast plans: align trailing dimensions, give broadcast dims stride 0, drop size-1 dims and merge
// neighbours whose strides stay contiguous for both operands (as PyTorch's TensorIterator coalescing).
#include "specnet/cpu/broadcast.h"

namespace specnet::cpu {

BroadcastPlan make_broadcast_plan(const Shape& out_shape, const Shape& a_shape, const Shape& b_shape) {
  const std::size_t nd = out_shape.size();
  auto aligned_strides = [&](const Shape& s) {
    Shape st(nd, 0);
    std::int64_t stride = 1;
    for (std::size_t k = 0; k < s.size(); ++k) {
      std::size_t d = s.size() - 1 - k, od = nd - 1 - k;
      st[od] = s[d] == 1 ? 0 : stride;
      stride *= s[d];
    }
    return st;
  };
  Shape sa = aligned_strides(a_shape), sb = aligned_strides(b_shape);
  BroadcastPlan p;
  for (std::size_t d = 0; d < nd; ++d) {
    if (out_shape[d] == 1) continue;
    if (!p.out.empty()) {
      // merge into the previous dim when both operands step through it contiguously (or not at all)
      std::int64_t n = out_shape[d];
      bool a_ok = p.a_strides.back() == sa[d] * n, b_ok = p.b_strides.back() == sb[d] * n;
      if (a_ok && b_ok) {
        p.out.back() *= n;
        p.a_strides.back() = sa[d];
        p.b_strides.back() = sb[d];
        continue;
      }
    }
    p.out.push_back(out_shape[d]);
    p.a_strides.push_back(sa[d]);
    p.b_strides.push_back(sb[d]);
  }
  if (p.out.empty()) p = BroadcastPlan{{1}, {0}, {0}};
  return p;
}

}  // namespace specnet::cpu
