// Caching CPU allocator behind Storage (see allocator.h). Blocks are cached by their rounded size.
#include "allocator.h"

#include <cstdlib>

#include "block_cache.h"
#include "specnet/error.h"

namespace specnet::detail {
namespace {

std::size_t rounded(std::size_t n) { return n <= 4096 ? (n + 63) / 64 * 64 : (n + 4095) / 4096 * 4096; }

BlockCache& cache() {
  static BlockCache* c = new BlockCache("SPECNET_CPU_CACHE_MB", 1024);  // never destroyed: tensors may be
  return *c;                                                         // freed during static destruction
}

}  // namespace

void* cpu_alloc(std::size_t nbytes) {
  const std::size_t size = rounded(nbytes);
  if (void* p = cache().take(size)) return p;
  void* p = std::aligned_alloc(64, size);
  if (!p) {
    cpu_cache_clear();  // give the cache back and try once more
    p = std::aligned_alloc(64, size);
  }
  if (!p) throw Error(str("out of memory allocating ", nbytes, " bytes"));
  return p;
}

void cpu_free(void* p, std::size_t nbytes) {
  if (!p) return;
  if (!cache().give(p, rounded(nbytes))) std::free(p);
}

void cpu_cache_clear() {
  cache().drain([](void* p) { std::free(p); }, [] {});
}

std::size_t cpu_cache_bytes() { return cache().bytes(); }

}  // namespace specnet::detail
