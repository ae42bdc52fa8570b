// A libFuzzer-free driver for the fuzz/fuzz_*.cpp harnesses, so that every CI run (and its ASan + UBSan build)
// feeds each reader a fixed, seeded batch of corrupted inputs: the seed corpus from make_seeds, then per seed
// `iterations` mutants (bit flips, bytes set to edge values, truncation, a chunk repeated or dropped, random bytes
// inserted, digits rewritten). The harness aborts, or a sanitizer reports, on anything but a specnet::Error, which
// fails the test. Deterministic: the mutants depend only on the seed files and --seed.
// Usage: replay_<harness> CORPUS_DIR [ITERATIONS=300] [SEED=1] (ctest passes SPECNET_FUZZ_REPLAY_ITERATIONS, 20000)
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

struct SplitMix {  // small self-contained PRNG: the mutants must not depend on the library under test
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
};

void mutate_once(std::vector<std::uint8_t>& b, SplitMix& r) {
  static const std::uint8_t edge[] = {0, 1, 0x7f, 0x80, 0xff, ' ', '-', '9', 'E', '\n'};
  const std::size_t n = b.size();
  switch (r.below(7)) {
    case 0:  // flip a bit
      if (n) b[r.below(n)] ^= static_cast<std::uint8_t>(1u << r.below(8));
      break;
    case 1:  // an edge value
      if (n) b[r.below(n)] = edge[r.below(sizeof edge)];
      break;
    case 2:  // truncate
      b.resize(r.below(n + 1));
      break;
    case 3: {  // repeat a chunk in place (lengths and offsets that point past the data)
      if (!n) break;
      const std::size_t at = r.below(n), len = 1 + r.below(std::min<std::size_t>(n - at, 256));
      const std::vector<std::uint8_t> chunk(b.begin() + at, b.begin() + at + len);
      b.insert(b.begin() + r.below(n + 1), chunk.begin(), chunk.end());
      break;
    }
    case 4: {  // drop a chunk
      if (!n) break;
      const std::size_t at = r.below(n), len = 1 + r.below(std::min<std::size_t>(n - at, 256));
      b.erase(b.begin() + at, b.begin() + at + len);
      break;
    }
    case 5: {  // insert random bytes
      const std::size_t at = r.below(n + 1), len = 1 + r.below(16);
      std::vector<std::uint8_t> ins(len);
      for (auto& c : ins) c = static_cast<std::uint8_t>(r.next());
      b.insert(b.begin() + at, ins.begin(), ins.end());
      break;
    }
    default:  // rewrite the digits of a number (FITS header values, JSON lengths and offsets, option values)
      for (std::size_t i = r.below(n), k = 0; i < n && k < 12; ++i)
        if (b[i] >= '0' && b[i] <= '9') b[i] = static_cast<std::uint8_t>('0' + r.below(10)), ++k;
      break;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s CORPUS_DIR [ITERATIONS=300] [SEED=1]\n", argv[0]);
    return 2;
  }
  const long iterations = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 300;
  const unsigned long long seed = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 1;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(argv[1]))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());  // directory order is not stable across file systems
  if (files.empty()) {
    std::fprintf(stderr, "%s: no seed files in %s\n", argv[0], argv[1]);
    return 2;
  }
  long executions = 0;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    const std::vector<std::uint8_t> original((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(original.data(), original.size());
    ++executions;
    std::uint64_t h = seed;
    for (char c : path.filename().string()) h = h * 131 + static_cast<unsigned char>(c);
    SplitMix r{h};
    for (long i = 0; i < iterations; ++i) {
      std::vector<std::uint8_t> m = original;
      for (std::size_t k = 0, rounds = 1 + r.below(4); k < rounds; ++k) mutate_once(m, r);
      LLVMFuzzerTestOneInput(m.data(), m.size());
      ++executions;
    }
  }
  std::printf("%s: %ld inputs from %zu seeds, no failure\n", argv[0], executions, files.size());
  return 0;
}
