// io::RecordSource (training rows in memory or read from disk by row index under a memory budget), scan_records,
// and the per-epoch training state of io/train_state.h (exact round trip; a refused load changes nothing).
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "harness.h"
#include "specnet/io/record_source.h"
#include "specnet/io/train_state.h"
#include "specnet/nn/linear.h"
#include "specnet/optim/adam.h"

using namespace specnet;

namespace {

// 50 records of 28 bytes after a 24-byte header: an int32 tag, then 4 floats (the rows), then 8 bytes of padding.
io::RecordLayout write_records(const std::string& path, std::int64_t n) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  const char header[24] = "test records";
  f.write(header, sizeof header);
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int32_t tag = std::int32_t(1000 + i);
    f.write(reinterpret_cast<const char*>(&tag), 4);
    for (int k = 0; k < 4; ++k) {
      const float v = float(i) + 0.25f * float(k);
      f.write(reinterpret_cast<const char*>(&v), 4);
    }
    const double pad = -1;
    f.write(reinterpret_cast<const char*>(&pad), 8);
  }
  io::RecordLayout l;
  l.data_offset = 24;
  l.record_bytes = 28;
  l.count = n;
  l.field_offset = 4;
  l.width = 4;
  return l;
}

std::string temp_file(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("specnet_rs_") + std::to_string(getpid()) + "_" + name))
      .string();
}

}  // namespace

TEST_CASE("RecordSource: the same rows in memory and streamed, in any order; errors for bad rows and files") {
  const std::string path = temp_file("records.bin");
  const io::RecordLayout l = write_records(path, 50);
  const io::RecordSource mem = io::RecordSource::open(path, l, 50 * 16), disk = io::RecordSource::open(path, l, 50 * 16 - 1);
  CHECK(!mem.streamed());
  CHECK(disk.streamed());
  CHECK(mem.size() == 50);
  CHECK(disk.width() == 4);
  const std::vector<std::int64_t> rows = {49, 0, 7, 7, 23, 1};
  std::vector<float> a(rows.size() * 4), b(rows.size() * 4);
  mem.gather(rows.data(), std::int64_t(rows.size()), a.data());
  disk.gather(rows.data(), std::int64_t(rows.size()), b.data());
  CHECK(a == b);
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (int k = 0; k < 4; ++k) CHECK(a[i * 4 + k] == float(rows[i]) + 0.25f * float(k));
  std::vector<float> r(3 * 4);
  disk.range(10, 3, r.data());
  CHECK(r[0] == 10.0f);
  CHECK(r[11] == 12.75f);
  // Rows built in memory behave the same.
  const io::RecordSource built(std::vector<float>(a), 4);
  std::vector<float> c(8);
  const std::int64_t two[] = {1, 0};
  built.gather(two, 2, c.data());
  CHECK(c[0] == a[4]);
  CHECK(c[4] == a[0]);

  const std::int64_t bad[] = {50};
  CHECK_THROWS_WITH(disk.gather(bad, 1, c.data()), doctest::Contains("row 50 out of range [0, 50)"));
  CHECK_THROWS_WITH(mem.gather(bad, 1, c.data()), doctest::Contains("out of range"));
  // A streamed batch must fit the budget; rows in memory need no check.
  CHECK_NOTHROW(disk.check_batch(49, "test"));  // 49 x 16 bytes <= 799
  CHECK_THROWS_WITH(disk.check_batch(50, "test"), doctest::Contains("test: a batch of 50 rows"));
  CHECK_THROWS_WITH(disk.check_batch(50, "test"), doctest::Contains("does not fit the memory budget"));
  CHECK_NOTHROW(mem.check_batch(1000, "test"));
  // Files that do not hold the layout.
  io::RecordLayout longer = l;
  longer.count = 51;
  CHECK_THROWS_WITH(io::RecordSource::open(path, longer, 0), doctest::Contains("(truncated?)"));
  CHECK_THROWS_WITH(io::RecordSource::open(path, longer, 1 << 20), doctest::Contains("(truncated?)"));
  io::RecordLayout wide = l;
  wide.width = 7;
  CHECK_THROWS_WITH(io::RecordSource::open(path, wide, 0), doctest::Contains("bad record layout"));
  CHECK_THROWS_WITH(io::RecordSource::open(path + ".absent", l, 0), doctest::Contains("cannot open"));
  CHECK_THROWS_AS(io::RecordSource(std::vector<float>(5), 4), Error);
  // A file shortened after it was opened: the read fails with an Error, not garbage.
  std::filesystem::resize_file(path, 24 + 28 * 20);
  CHECK_THROWS_WITH(disk.gather(rows.data(), 1, c.data()), doctest::Contains("failed"));
  std::filesystem::remove(path);
  CHECK(io::training_budget_bytes(3) == 3u << 20);
  CHECK_THROWS_AS(io::training_budget_bytes(-1), Error);
}

TEST_CASE("scan_records: every record once, in order, in chunks of the given size") {
  const std::string path = temp_file("scan.bin");
  const io::RecordLayout l = write_records(path, 23);
  for (std::uint64_t chunk : {1ull, 28ull * 5, 1ull << 20}) {
    std::int64_t next = 0, calls = 0;
    io::scan_records(path, l, chunk, [&](std::int64_t first, std::int64_t n, const unsigned char* rec) {
      CHECK(first == next);
      for (std::int64_t i = 0; i < n; ++i) {
        std::int32_t tag = 0;
        std::memcpy(&tag, rec + i * 28, 4);
        CHECK(tag == 1000 + first + i);
      }
      next += n;
      ++calls;
    });
    CHECK(next == 23);
    CHECK(calls == (chunk == 1 ? 23 : chunk == 28 * 5 ? 5 : 1));
  }
  std::filesystem::remove(path);
}

TEST_CASE("train state: exact round trip of history, best epoch and RNG positions; a refused load changes nothing") {
  const std::string path = temp_file("state.ckpt"), best = temp_file("state.best");
  Rng rng(3);
  nn::Linear net(3, 2, rng);
  optim::Adam adam(net.named_parameters());
  optim::ReduceLROnPlateau plateau(adam);
  TrainState st;
  st.epoch = 2;
  st.history = {{0.1, 1.0 / 3.0, 1e-3}, {0.05, 2.0 / 7.0, 1e-3}};
  st.best_epoch = 2;
  st.best_val = 2.0 / 7.0;
  st.rng_offsets["loss"] = 12345;
  save_checkpoint(best, net, nullptr, nullptr, {});
  save_train_state(path, net, adam, plateau, st, 9, "run A", {{"note", "x"}});

  Rng other(4);
  nn::Linear fresh(3, 2, other);
  optim::Adam adam2(fresh.named_parameters());
  optim::ReduceLROnPlateau plateau2(adam2);
  const auto before = fresh.state_dict()[0].second.to_vector();
  CHECK_THROWS_WITH(load_train_state(path, best, fresh, adam2, plateau2, 10, "run A", 3, "test"),
                    doctest::Contains("was written with seed 9, this run uses 10"));
  CHECK_THROWS_WITH(load_train_state(path, best, fresh, adam2, plateau2, 9, "run B", 3, "test"),
                    doctest::Contains("belongs to another run"));
  CHECK_THROWS_WITH(load_train_state(path, best, fresh, adam2, plateau2, 9, "run A", 4, "test"),
                    doctest::Contains("malformed history"));
  CHECK_THROWS_WITH(load_train_state(best, best, fresh, adam2, plateau2, 9, "run A", 3, "test"),
                    doctest::Contains("is not a training checkpoint"));
  CHECK(fresh.state_dict()[0].second.to_vector() == before);
  const TrainState got = load_train_state(path, best, fresh, adam2, plateau2, 9, "run A", 3, "test");
  CHECK(got.epoch == 2);
  CHECK(got.history == st.history);
  CHECK(got.best_epoch == 2);
  CHECK(got.best_val == st.best_val);
  CHECK(got.rng_offsets.at("loss") == 12345);
  REQUIRE(got.best.size() == 2);
  CHECK(got.best[0].second.to_vector() == net.state_dict()[0].second.to_vector());
  CHECK(fresh.state_dict()[0].second.to_vector() == net.state_dict()[0].second.to_vector());
  CHECK_THROWS_WITH(checkpoint_weights(path + ".absent"), doctest::Contains("absent"));
  // Without SPECNET_TEST_STOP_AT the crash-test hook does nothing.
  if (!std::getenv("SPECNET_TEST_STOP_AT")) CHECK_NOTHROW(test_stop_point(1, 1));
  std::filesystem::remove(path);
  std::filesystem::remove(best);
}
