// CUDA runtime support: device detection, error conversion, the specnet stream and cuBLAS handle, the
// caching device allocator (size-class free lists on plain cudaMalloc, as src/core/allocator.cpp) and copies.
#include <atomic>
#include <cstdlib>

#include "../core/block_cache.h"
#include "specnet/cuda/kernel.cuh"

namespace specnet::cuda {

// ---------------------------------------------------------------- errors
void throw_cuda_error(cudaError_t e, const char* call, const char* file, int line) {
  cudaGetLastError();  // clear a non-sticky error so that later calls are not blamed for it
  throw Error(str("CUDA error in ", call, " at ", file, ":", line, ": ", cudaGetErrorName(e), " (",
                  cudaGetErrorString(e), ")"));
}

void throw_cublas_error(cublasStatus_t s, const char* call, const char* file, int line) {
  throw Error(str("cuBLAS error in ", call, " at ", file, ":", line, ": ", cublasGetStatusName(s), " (",
                  cublasGetStatusString(s), ")"));
}

void check_launch(const char* kernel, const char* file, int line) {
  static const bool sync = [] {
    const char* env = std::getenv("SPECNET_CUDA_SYNC");
    return env && env[0] == '1';
  }();
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess && sync) e = cudaStreamSynchronize(stream());
  if (e != cudaSuccess) throw_cuda_error(e, str("launch of ", kernel).c_str(), file, line);
}

// ---------------------------------------------------------------- device, stream, cuBLAS
namespace {
struct DeviceState {
  bool usable = false;
  std::string description;
};

const DeviceState& device_state() {
  static const DeviceState s = [] {
    DeviceState d;
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
      cudaGetLastError();
      d.description = str("no usable CUDA device: ", cudaGetErrorString(e));
      return d;
    }
    if (count == 0) {
      d.description = "no CUDA device present";
      return d;
    }
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess || cudaSetDevice(0) != cudaSuccess) {
      cudaGetLastError();
      d.description = "CUDA device 0 cannot be opened";
      return d;
    }
    d.usable = true;
    d.description = str(prop.name, " (sm_", prop.major, prop.minor, ", ", prop.totalGlobalMem >> 30, " GiB)");
    return d;
  }();
  return s;
}

void require_device(const char* what) {
  const DeviceState& d = device_state();
  if (!d.usable) throw Error(str(what, ": device cuda is not available: ", d.description));
}
}  // namespace

bool cuda_available() { return device_state().usable; }
std::string device_description() { return device_state().description; }

cudaStream_t stream() {
  // Created once and never destroyed: tensors freed during static destruction may still queue work.
  static cudaStream_t s = [] {
    require_device("cuda stream");
    cudaStream_t st = nullptr;
    SPECNET_CUDA_CHECK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
    return st;
  }();
  return s;
}

cublasHandle_t cublas() {
  static cublasHandle_t h = [] {
    cublasHandle_t handle = nullptr;
    SPECNET_CUBLAS_CHECK(cublasCreate(&handle));
    SPECNET_CUBLAS_CHECK(cublasSetStream(handle, stream()));
    return handle;
  }();
  return h;
}

void synchronize() { SPECNET_CUDA_CHECK(cudaStreamSynchronize(stream())); }

// ---------------------------------------------------------------- caching allocator
namespace {
// Size classes: multiples of 512 B up to 1 MiB, of 128 KiB above (cudaMalloc itself rounds to pages).
std::size_t rounded(std::size_t n) {
  return n <= (std::size_t(1) << 20) ? (n + 511) / 512 * 512 : (n + (std::size_t(1) << 17) - 1) >> 17 << 17;
}

using ::specnet::detail::BlockCache;

BlockCache& cache() {
  static BlockCache* c = new BlockCache("SPECNET_CUDA_CACHE_MB", 8192);  // never destroyed: tensors may be
  return *c;                                                           // freed during static destruction
}
std::atomic<std::size_t> g_mallocs{0};

void release_cache() {
  // queued kernels may still use a cached block: wait for them before the driver takes the blocks back
  cache().drain([](void* p) { cudaFree(p); }, [] { cudaStreamSynchronize(stream()); });
}
}  // namespace

void* device_alloc(std::size_t nbytes) {
  require_device("device allocation");
  const std::size_t size = rounded(nbytes);
  if (void* p = cache().take(size)) return p;
  void* p = nullptr;
  cudaError_t e = cudaMalloc(&p, size);
  if (e == cudaErrorMemoryAllocation) {  // give the cache back and try once more
    cudaGetLastError();
    release_cache();
    e = cudaMalloc(&p, size);
  }
  if (e != cudaSuccess) {
    cudaGetLastError();
    std::size_t free_b = 0, total_b = 0;
    cudaMemGetInfo(&free_b, &total_b);
    throw Error(str("CUDA out of memory allocating ", nbytes, " bytes (", free_b >> 20, " MiB free of ",
                    total_b >> 20, " MiB): ", cudaGetErrorString(e)));
  }
  ++g_mallocs;
  return p;
}

void device_free(void* p, std::size_t nbytes) {
  if (!p || cache().give(p, rounded(nbytes))) return;
  cudaStreamSynchronize(stream());  // kernels queued on the block must finish before the driver reuses it
  cudaFree(p);                      // errors here cannot be thrown (called from ~Storage)
}

void device_cache_clear() { release_cache(); }
std::size_t device_cache_bytes() { return cache().bytes(); }
std::size_t device_malloc_count() { return g_mallocs.load(); }

// ---------------------------------------------------------------- copies
void copy_to_device(void* dst, const void* src_host, std::size_t nbytes) {
  if (nbytes == 0) return;
  // pageable source: the call returns once the bytes are staged, so the host buffer may be freed after it
  SPECNET_CUDA_CHECK(cudaMemcpyAsync(dst, src_host, nbytes, cudaMemcpyHostToDevice, stream()));
}

void copy_to_host(void* dst_host, const void* src, std::size_t nbytes) {
  if (nbytes == 0) return;
  SPECNET_CUDA_CHECK(cudaMemcpyAsync(dst_host, src, nbytes, cudaMemcpyDeviceToHost, stream()));
  SPECNET_CUDA_CHECK(cudaStreamSynchronize(stream()));
}

void copy_on_device(void* dst, const void* src, std::size_t nbytes) {
  if (nbytes == 0) return;
  SPECNET_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDeviceToDevice, stream()));
}

void memset_zero(void* dst, std::size_t nbytes) {
  if (nbytes == 0) return;
  SPECNET_CUDA_CHECK(cudaMemsetAsync(dst, 0, nbytes, stream()));
}

}  // namespace specnet::cuda
