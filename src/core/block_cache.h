// Size-keyed free lists shared by the CPU allocator (src/core/allocator.cpp) and the CUDA one
// (src/cuda/runtime.cu): freed blocks are kept per rounded size, up to a byte cap, and handed out again.
#pragma once
#include <cstddef>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace specnet::detail {

class BlockCache {
 public:
  // cap from the environment variable `env_mb` (MiB), else `default_mb`
  BlockCache(const char* env_mb, long long default_mb) {
    const char* env = std::getenv(env_mb);
    const long long mb = env ? std::atoll(env) : default_mb;
    limit_ = static_cast<std::size_t>(mb < 0 ? 0 : mb) << 20;
  }

  // A cached block of exactly `size` bytes, or nullptr.
  void* take(std::size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = free_.find(size);
    if (it == free_.end() || it->second.empty()) return nullptr;
    void* p = it->second.back();
    it->second.pop_back();
    cached_ -= size;
    return p;
  }

  // Keeps p for reuse; false (p not kept, the caller frees it) when that would exceed the cap.
  bool give(void* p, std::size_t size) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cached_ + size > limit_) return false;
    free_[size].push_back(p);
    cached_ += size;
    return true;
  }

  // Hands every cached block to release(p) and empties the cache; before_release() runs first when any
  // block is cached (the CUDA allocator waits for queued kernels there).
  template <typename Release, typename Before>
  void drain(Release release, Before before_release) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (free_.empty()) return;
    before_release();
    for (auto& entry : free_)
      for (void* p : entry.second) release(p);
    free_.clear();
    cached_ = 0;
  }

  std::size_t bytes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return cached_;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::size_t, std::vector<void*>> free_;
  std::size_t cached_ = 0;
  std::size_t limit_ = 0;
};

}  // namespace specnet::detail
