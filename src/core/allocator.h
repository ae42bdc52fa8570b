// CPU storage allocator with a size-keyed cache: training repeats the same shapes every step, so freed
// blocks are kept (up to SPECNET_CPU_CACHE_MB, default 1024) and handed out again, which avoids the
// mmap/munmap and first-touch page faults that fresh large allocations cost (~12% of a CAE step).
#pragma once
#include <cstddef>

namespace specnet::detail {

void* cpu_alloc(std::size_t nbytes);           // 64-byte aligned; throws specnet::Error when out of memory
void cpu_free(void* p, std::size_t nbytes);    // nbytes as passed to cpu_alloc
void cpu_cache_clear();                        // returns every cached block to the system
std::size_t cpu_cache_bytes();                 // bytes currently cached (not in use)

}  // namespace specnet::detail
