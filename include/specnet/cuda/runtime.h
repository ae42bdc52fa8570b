// The CUDA runtime seen from plain C++ (no CUDA headers): device availability, the caching device
// allocator and host<->device copies, in the manner of PyTorch's CUDACachingAllocator (one stream).
#pragma once
#include <cstddef>
#include <string>

#include "specnet/dtype.h"
#include "specnet/error.h"

namespace specnet::cuda {

#ifdef SPECNET_WITH_CUDA
// True when this build has the CUDA backend and a CUDA device is present and usable.
bool cuda_available();
// "NVIDIA H200 (sm_90, 139 GiB)", or why no device is usable.
std::string device_description();

// Device memory: cudaMalloc blocks cached in size-class free lists (cap SPECNET_CUDA_CACHE_MB, default
// 8192). All work runs on the one specnet stream, so a freed block can be handed out again at once: the
// next kernel using it is queued after every kernel that used it before.
void* device_alloc(std::size_t nbytes);          // throws specnet::Error (no device, out of memory)
void device_free(void* p, std::size_t nbytes);   // nbytes as passed to device_alloc
void device_cache_clear();                       // returns every cached block to the driver
std::size_t device_cache_bytes();                // bytes cached (freed, not in use)
std::size_t device_malloc_count();               // cudaMalloc calls made so far (tests cache reuse)

// Copies on the specnet stream. to_host waits for the copy (and all queued work) to finish.
void copy_to_device(void* dst, const void* src_host, std::size_t nbytes);
void copy_to_host(void* dst_host, const void* src, std::size_t nbytes);
void copy_on_device(void* dst, const void* src, std::size_t nbytes);
void memset_zero(void* dst, std::size_t nbytes);
void synchronize();                              // waits for the specnet stream; throws queued errors
#else
inline bool cuda_available() { return false; }
inline std::string device_description() { return "specnet was built without CUDA"; }
#endif

// Throws the error used wherever a cuda tensor is requested in a build without the CUDA backend.
[[noreturn]] inline void throw_built_without_cuda(const char* what) {
  throw Error(str(what, ": device cuda is not available: specnet was built without CUDA (configure with "
                  "-DSPECNET_CUDA=ON on a machine with nvcc)"));
}

// Where a caller is told to run on `device`: a clear error up front when that is cuda and no GPU is usable, before
// any data work ("ic train: device cuda is not available: <why>").
inline void require_usable(Device device, const char* what) {
  SPECNET_CHECK(device == Device::cpu || cuda_available(), what, ": device cuda is not available: ",
                device_description());
}

}  // namespace specnet::cuda
