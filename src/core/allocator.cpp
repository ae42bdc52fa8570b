// Caching CPU allocator behind Storage (see allocator.h). Blocks are cached by their rounded size.
#include "allocator.h"

#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "specnet/error.h"

namespace specnet::detail {
namespace {

std::size_t rounded(std::size_t n) { return n <= 4096 ? (n + 63) / 64 * 64 : (n + 4095) / 4096 * 4096; }

struct Cache {
  std::mutex mutex;
  std::unordered_map<std::size_t, std::vector<void*>> free_blocks;
  std::size_t cached = 0;
  std::size_t limit = [] {
    const char* env = std::getenv("SPECNET_CPU_CACHE_MB");
    long long mb = env ? std::atoll(env) : 1024;
    return static_cast<std::size_t>(mb < 0 ? 0 : mb) << 20;
  }();
  ~Cache() {
    for (auto& [size, blocks] : free_blocks)
      for (void* p : blocks) std::free(p);
  }
};

Cache& cache() {
  static Cache* c = new Cache();  // never destroyed: tensors may be freed during static destruction
  return *c;
}

}  // namespace

void* cpu_alloc(std::size_t nbytes) {
  const std::size_t size = rounded(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(size);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      void* p = it->second.back();
      it->second.pop_back();
      c.cached -= size;
      return p;
    }
  }
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
  const std::size_t size = rounded(nbytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cached + size <= c.limit) {
      c.free_blocks[size].push_back(p);
      c.cached += size;
      return;
    }
  }
  std::free(p);
}

void cpu_cache_clear() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [size, blocks] : c.free_blocks)
    for (void* p : blocks) std::free(p);
  c.free_blocks.clear();
  c.cached = 0;
}

std::size_t cpu_cache_bytes() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.cached;
}

}  // namespace specnet::detail
