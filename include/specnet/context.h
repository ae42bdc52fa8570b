// Execution context: thread count and the default device. Threads come from SPECNET_NUM_THREADS
// (else the hardware count); work is split into fixed-size chunks whose boundaries never depend on
// the thread count, so results are bitwise identical for any number of threads.
#pragma once
#include <cstdint>
#include <functional>

#include "specnet/dtype.h"
#include "specnet/rng.h"

namespace specnet {

int num_threads();                 // current setting (>= 1)
void set_num_threads(int n);       // n <= 0 restores the SPECNET_NUM_THREADS / hardware default

// Calls fn(begin, end) over [0, n) in chunks of `grain` items (the last one shorter). Chunks run on
// up to num_threads() threads; each chunk must write only its own outputs.
void parallel_for(std::int64_t n, std::int64_t grain, const std::function<void(std::int64_t, std::int64_t)>& fn);

// An explicit execution context: thread count, device and the random stream, passed to code that needs
// them instead of hidden globals. ContextGuard makes a context's thread count current for a scope.
struct Context {
  int num_threads = 0;          // 0: SPECNET_NUM_THREADS or the hardware count
  Device device = Device::cpu;
  Rng rng;
  explicit Context(std::uint64_t seed = 0, int threads = 0, Device dev = Device::cpu)
      : num_threads(threads), device(dev), rng(seed) {}
};

// The device of the innermost ContextGuard on this thread (cpu outside any guard). Code that creates
// tensors for a context (models, simulators) passes it to the Tensor factories, whose default stays cpu.
Device current_device();

// Makes a context's thread count and device current for a scope. A cuda context is refused with an error
// when the build has no CUDA backend or no GPU is present.
class ContextGuard {
 public:
  explicit ContextGuard(const Context& ctx);
  ~ContextGuard();
  ContextGuard(const ContextGuard&) = delete;
  ContextGuard& operator=(const ContextGuard&) = delete;
 private:
  int previous_threads_;
  Device previous_device_;
};

}  // namespace specnet
