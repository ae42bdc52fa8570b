// Thread-count control and the deterministic chunked parallel_for (OpenMP underneath).
#include "specnet/context.h"

#include "specnet/cuda/runtime.h"

#include <omp.h>

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <thread>

namespace specnet {
namespace {
constexpr long kMaxThreads = 1024;
int default_threads() {
  if (const char* env = std::getenv("SPECNET_NUM_THREADS")) {
    // Strict: "abc", "4x" or 10^6 are a user's mistake, not a request for all cores.
    char* end = nullptr;
    errno = 0;
    const long n = std::strtol(env, &end, 10);
    SPECNET_CHECK(*env != '\0' && *end == '\0' && errno == 0 && n >= 0 && n <= kMaxThreads,
                  "SPECNET_NUM_THREADS='", env, "' is not a whole number in 0..", kMaxThreads, " (0: all cores)");
    if (n > 0) return static_cast<int>(n);
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw > 0 ? static_cast<int>(hw) : 1;
}
std::atomic<int> g_threads{0};
thread_local Device g_device = Device::cpu;
}  // namespace

Device current_device() { return g_device; }

int num_threads() {
  int n = g_threads.load();
  if (n <= 0) {
    n = default_threads();
    g_threads.store(n);
  }
  return n;
}

void set_num_threads(int n) { g_threads.store(n > 0 ? n : default_threads()); }

ContextGuard::ContextGuard(const Context& ctx) : previous_threads_(num_threads()), previous_device_(g_device) {
  if (ctx.device == Device::cuda) {
#ifdef SPECNET_WITH_CUDA
    SPECNET_CHECK(cuda::cuda_available(), "Context: device cuda is not available: ", cuda::device_description());
#else
    cuda::throw_built_without_cuda("Context");
#endif
  }
  set_num_threads(ctx.num_threads);
  g_device = ctx.device;
}
ContextGuard::~ContextGuard() {
  set_num_threads(previous_threads_);
  g_device = previous_device_;
}

void parallel_for(std::int64_t n, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& fn) {
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  const std::int64_t chunks = (n + grain - 1) / grain;
  const int threads = static_cast<int>(std::min<std::int64_t>(num_threads(), chunks));
  if (threads <= 1 || omp_in_parallel()) {
    for (std::int64_t c = 0; c < chunks; ++c) fn(c * grain, std::min(n, (c + 1) * grain));
    return;
  }
  // Exceptions must not escape an OpenMP region: keep the first and rethrow after the join.
  std::exception_ptr error;
  std::mutex error_mutex;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
  for (std::int64_t c = 0; c < chunks; ++c) {
    try {
      fn(c * grain, std::min(n, (c + 1) * grain));
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex);
      if (!error) error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace specnet
