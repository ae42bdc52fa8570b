// Training rows held in memory or read by row index from a record file (pread), chosen by the memory budget; the
// same bytes reach the caller either way, so training is bitwise the same streamed or in memory.
#include "specnet/io/record_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "specnet/error.h"
#include "specnet/sim/resources.h"

namespace specnet::io {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// A read-only file descriptor, closed with its owner.
struct File {
  int fd = -1;
  std::string path;
  File(const std::string& p, const RecordLayout& l) : path(p) {
    fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    SPECNET_CHECK(fd >= 0, p, ": cannot open: ", std::strerror(errno));
    struct stat st {};
    const bool ok = ::fstat(fd, &st) == 0;
    const std::uint64_t need = l.data_offset + std::uint64_t(l.count) * l.record_bytes;
    if (!ok || std::uint64_t(st.st_size) < need) {
      ::close(fd);
      throw Error(str(p, ": holds ", ok ? std::uint64_t(st.st_size) : 0, " bytes, fewer than the ", need, " of ",
                      l.count, " records of ", l.record_bytes, " bytes (truncated?)"));
    }
  }
  ~File() {
    if (fd >= 0) ::close(fd);
  }
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  void read(void* dst, std::uint64_t bytes, std::uint64_t offset) const {
    auto* p = static_cast<unsigned char*>(dst);
    while (bytes > 0) {
      const ssize_t got = ::pread(fd, p, bytes, off_t(offset));
      if (got < 0 && errno == EINTR) continue;
      SPECNET_CHECK(got > 0, path, ": read of ", bytes, " bytes at offset ", offset, " failed",
                    got < 0 ? std::string(": ") + std::strerror(errno) : std::string(" (file shortened?)"));
      p += got, bytes -= std::uint64_t(got), offset += std::uint64_t(got);
    }
  }
};

void check_layout(const std::string& path, const RecordLayout& l) {
  SPECNET_CHECK(l.count >= 0 && l.width > 0 && l.record_bytes > 0 &&
                    l.field_offset + 4 * std::uint64_t(l.width) <= l.record_bytes,
                path, ": bad record layout (", l.count, " records of ", l.record_bytes, " bytes, ", l.width,
                " floats at byte ", l.field_offset, ")");
}

}  // namespace

struct RecordSource::Impl {
  std::int64_t count = 0, width = 0;
  std::vector<float> rows;      // (count, width) when in memory
  std::unique_ptr<File> file;   // when streamed
  RecordLayout layout;
  std::uint64_t budget = 0;
};

std::uint64_t training_budget_bytes(std::int64_t budget_mb) {
  SPECNET_CHECK(budget_mb >= 0, "memory budget must be >= 0 MiB (0: SPECNET_MEMORY_BUDGET_MB or 512), got ", budget_mb);
  return std::uint64_t(budget_mb > 0 ? budget_mb : sim::default_memory_budget_mb()) << 20;
}

RecordSource::RecordSource(std::vector<float> rows, std::int64_t width) {
  SPECNET_CHECK(width > 0 && rows.size() % std::size_t(width) == 0, "RecordSource: ", rows.size(),
                " values are not rows of ", width);
  auto impl = std::make_shared<Impl>();
  impl->width = width;
  impl->count = std::int64_t(rows.size()) / width;
  impl->rows = std::move(rows);
  impl_ = std::move(impl);
}

RecordSource RecordSource::open(const std::string& path, const RecordLayout& l, std::uint64_t budget_bytes) {
  check_layout(path, l);
  auto impl = std::make_shared<Impl>();
  impl->count = l.count;
  impl->width = l.width;
  impl->layout = l;
  impl->budget = budget_bytes;
  const std::uint64_t row_bytes = 4 * std::uint64_t(l.width);
  if (std::uint64_t(l.count) * row_bytes <= budget_bytes) {
    impl->rows.resize(std::size_t(l.count) * std::size_t(l.width));
    scan_records(path, l, std::max<std::uint64_t>(budget_bytes / 8, 64 << 10),
                 [&](std::int64_t first, std::int64_t n, const unsigned char* rec) {
                   for (std::int64_t i = 0; i < n; ++i)
                     std::memcpy(impl->rows.data() + (first + i) * l.width, rec + i * l.record_bytes + l.field_offset,
                                 row_bytes);
                 });
  } else {
    impl->file = std::make_unique<File>(path, l);
  }
  RecordSource s;
  s.impl_ = std::move(impl);
  return s;
}

std::int64_t RecordSource::size() const { return impl_ ? impl_->count : 0; }
std::int64_t RecordSource::width() const { return impl_ ? impl_->width : 0; }
bool RecordSource::streamed() const { return impl_ && impl_->file; }
std::uint64_t RecordSource::budget_bytes() const { return impl_ ? impl_->budget : 0; }

void RecordSource::gather(const std::int64_t* rows, std::int64_t n, float* out) const {
  const std::int64_t N = size(), W = width();
  for (std::int64_t i = 0; i < n; ++i)
    SPECNET_CHECK(rows[i] >= 0 && rows[i] < N, "RecordSource: row ", rows[i], " out of range [0, ", N, ")");
  if (n == 0) return;
  if (!impl_->file) {
    for (std::int64_t i = 0; i < n; ++i) std::copy_n(impl_->rows.data() + rows[i] * W, W, out + i * W);
    return;
  }
  const RecordLayout& l = impl_->layout;
  for (std::int64_t i = 0; i < n; ++i)
    impl_->file->read(out + i * W, 4 * std::uint64_t(W), l.data_offset + std::uint64_t(rows[i]) * l.record_bytes + l.field_offset);
}

void RecordSource::range(std::int64_t first, std::int64_t n, float* out) const {
  std::vector<std::int64_t> rows(std::size_t(std::max<std::int64_t>(n, 0)));
  for (std::int64_t i = 0; i < n; ++i) rows[i] = first + i;
  gather(rows.data(), n, out);
}

void RecordSource::check_batch(std::int64_t n, const std::string& what) const {
  if (!streamed()) return;
  const std::uint64_t bytes = std::uint64_t(n) * 4 * std::uint64_t(width());
  SPECNET_CHECK(bytes <= impl_->budget, what, ": a batch of ", n, " rows (", double(bytes) / kMiB,
                " MiB) does not fit the memory budget of ", double(impl_->budget) / kMiB,
                " MiB; raise --memory-budget-mb / SPECNET_MEMORY_BUDGET_MB or lower --batch");
}

void scan_records(const std::string& path, const RecordLayout& l, std::uint64_t chunk_bytes,
                  const std::function<void(std::int64_t, std::int64_t, const unsigned char*)>& fn) {
  check_layout(path, l);
  const File file(path, l);
  const std::int64_t per = std::int64_t(std::max<std::uint64_t>(chunk_bytes / l.record_bytes, 1));
  std::vector<unsigned char> buf(std::size_t(std::min<std::int64_t>(per, std::max<std::int64_t>(l.count, 1))) *
                                 l.record_bytes);
  for (std::int64_t first = 0; first < l.count; first += per) {
    const std::int64_t n = std::min(per, l.count - first);
    file.read(buf.data(), std::uint64_t(n) * l.record_bytes, l.data_offset + std::uint64_t(first) * l.record_bytes);
    fn(first, n, buf.data());
  }
}

}  // namespace specnet::io
