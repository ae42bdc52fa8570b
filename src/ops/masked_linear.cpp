// masked_linear: linear(x, w * mask, b) composed from the mul and linear ops (their backward kernels give
// dW * mask and dx through the masked weight), matching nflows' MaskedLinear.
#include "specnet/ops/masked_linear.h"

#include <memory>
#include <vector>

#include "specnet/ops/arith.h"
#include "specnet/ops/linear.h"

namespace specnet {
namespace {

// Throws unless every mask entry is 0 or 1. Views already found valid are remembered by storage, version and
// layout, so a module's constant mask is scanned once, not on every call (on the GPU a scan is a copy to the host
// and a sync).
void check_mask_values(const Tensor& mask) {
  struct Seen {
    std::weak_ptr<Storage> storage;
    std::uint64_t version;
    std::int64_t offset;
    Shape shape, strides;
  };
  thread_local std::vector<Seen> seen;
  const TensorImpl& im = mask.impl();
  for (const Seen& e : seen)
    if (e.storage.lock() == im.storage && e.version == im.storage->version && e.offset == im.offset &&
        e.shape == im.shape && e.strides == im.strides)
      return;
  for (double v : mask.to_vector())
    SPECNET_CHECK(v == 0.0 || v == 1.0, "masked_linear: mask entries must be 0 or 1, got ", v);
  if (seen.size() >= 256) seen.erase(seen.begin());  // bounded: an evicted mask is scanned again when used
  seen.push_back({im.storage, im.storage->version, im.offset, im.shape, im.strides});
}

}  // namespace

Tensor masked_linear(const Tensor& x, const Tensor& w, const Tensor& mask, const Tensor& b) {
  check_dim("masked_linear", w, 2, "weight (O, I)");
  check_same_device("masked_linear", w, mask);
  SPECNET_CHECK(mask.shape() == w.shape(), "masked_linear: mask shape ", shape_str(mask.shape()), " != weight shape ",
                shape_str(w.shape()));
  check_same_dtype("masked_linear", w, mask);
  SPECNET_CHECK(!mask.requires_grad(), "masked_linear: the mask must be a constant (requires_grad is set)");
  check_mask_values(mask);
  return linear(x, mul(w, mask), b);
}

}  // namespace specnet
