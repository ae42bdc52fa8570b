// Training rows of a file of fixed-size records under a memory budget: held in memory when they fit the budget,
// else read from disk batch by batch (pread by row index), like a map-style torch Dataset over a memory-mapped file.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace specnet::io {

// Where the float32 rows lie in a file: `count` records of `record_bytes` from byte `data_offset`; row i is the
// `width` floats at byte `field_offset` of record i.
struct RecordLayout {
  std::uint64_t data_offset = 0;
  std::uint64_t record_bytes = 0;
  std::int64_t count = 0;
  std::uint64_t field_offset = 0;
  std::int64_t width = 0;
};

// The memory budget of training data in bytes: budget_mb > 0, else SPECNET_MEMORY_BUDGET_MB, else 512 MiB.
std::uint64_t training_budget_bytes(std::int64_t budget_mb);

// Rows (count, width) of float32, in memory or streamed. Copies share the rows (and the open file).
class RecordSource {
 public:
  RecordSource() = default;
  // Rows already in memory: rows (n, width).
  RecordSource(std::vector<float> rows, std::int64_t width);
  // The rows of `path`: read into memory (in chunks) when count * width * 4 bytes fit `budget_bytes`, else left on
  // disk and read per gather. Error for a file shorter than the layout (value checks are the callers' metadata
  // passes over scan_records).
  static RecordSource open(const std::string& path, const RecordLayout& layout, std::uint64_t budget_bytes);

  std::int64_t size() const;
  std::int64_t width() const;
  bool streamed() const;
  std::uint64_t budget_bytes() const;  // 0 for rows built in memory
  // out (n, width) = rows[0..n) in that order. Error for a row out of range or a failed read.
  void gather(const std::int64_t* rows, std::int64_t n, float* out) const;
  // Rows [first, first + n) into out (n, width).
  void range(std::int64_t first, std::int64_t n, float* out) const;
  // Error (naming `what`) when a streamed batch of n rows does not fit the budget; nothing for rows in memory.
  void check_batch(std::int64_t n, const std::string& what) const;

 private:
  struct Impl;
  std::shared_ptr<const Impl> impl_;
};

// Passes every record of `path` in order to fn(first, n, records), records (n, record_bytes) raw, reading at most
// max(chunk_bytes, record_bytes) at a time (metadata passes: labels, scalings, checks). Error for a short file.
void scan_records(const std::string& path, const RecordLayout& layout, std::uint64_t chunk_bytes,
                  const std::function<void(std::int64_t first, std::int64_t n, const unsigned char* records)>& fn);

}  // namespace specnet::io
