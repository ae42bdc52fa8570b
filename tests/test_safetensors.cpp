// safetensors I/O: round trips (f32/f64, scalars, empty tensors, metadata), the exact byte layout of the
// reference format, atomic writes, one clear error per kind of corruption, and a fuzz run of mutated files.
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness.h"
#include "specnet/io/safetensors.h"

using namespace specnet;

namespace {

// A per-process scratch directory under the build tree, removed when the test binary exits.
struct ScratchDir {
  std::string path = str(SPECNET_BINARY_DIR, "/test_tmp_safetensors_", ::getpid());
  ScratchDir() { std::filesystem::create_directories(path); }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};
std::string temp_dir() {
  static ScratchDir dir;
  return dir.path;
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_bytes(const std::string& path, const std::string& b) {
  std::ofstream f(path, std::ios::binary);
  f << b;
}

// A file from a header string and data bytes (header length prefix added).
std::string make_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  const std::uint64_t n = header.size();
  std::memcpy(&out[0], &n, 8);
  return out + header + data;
}

std::string floats(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") && std::strcmp(e->d_name, "..")) out.push_back(e->d_name);
    ::closedir(d);
  }
  return out;
}

}  // namespace

TEST_CASE("safetensors round trip keeps names, dtypes, shapes, values and metadata") {
  Rng rng(1);
  const std::string path = temp_dir() + "/round.safetensors";
  Tensor a = Tensor::randn({3, 4}, rng);
  Tensor b = Tensor::randn({2, 1, 5}, rng, DType::f64);
  Tensor s = Tensor::scalar(42.5, DType::f64);
  Tensor e = Tensor::zeros({0, 3});
  Tensor t = Tensor::randn({4, 3}, rng).transpose(0, 1);  // non-contiguous: stored row-major
  std::map<std::string, std::string> meta{{"epoch", "7"}, {"quote\"and\\back", "line\nbreak \xc3\xa9"}};
  save_safetensors(path, {{"enc.0.weight", a}, {"b", b}, {"step", s}, {"empty", e}, {"t", t}}, meta);
  SafeTensors st = load_safetensors(path);
  CHECK(st.metadata == meta);
  REQUIRE(st.tensors.size() == 5);
  CHECK(st.tensors[0].first == "enc.0.weight");  // offset order == save order
  CHECK(st.get("enc.0.weight").dtype() == DType::f32);
  CHECK(test::max_abs_diff(st.get("enc.0.weight"), a) == 0.0);
  CHECK(st.get("b").dtype() == DType::f64);
  CHECK(st.get("b").shape() == Shape{2, 1, 5});
  CHECK(test::max_abs_diff(st.get("b"), b) == 0.0);
  CHECK(st.get("step").shape() == Shape{});
  CHECK(st.get("step").item() == 42.5);
  CHECK(st.get("empty").shape() == Shape{0, 3});
  CHECK(st.get("t").shape() == Shape{3, 4});
  CHECK(st.get("t").to_vector() == t.to_vector());
  CHECK_THROWS_WITH(st.get("nope"), doctest::Contains("no tensor named \"nope\""));
  // no metadata and no tensors at all
  save_safetensors(path, {});
  SafeTensors none = load_safetensors(path);
  CHECK(none.tensors.empty());
  CHECK(none.metadata.empty());
}

TEST_CASE("safetensors writes the reference byte layout") {
  const std::string path = temp_dir() + "/layout.safetensors";
  save_safetensors(path, {{"w", Tensor::from_vector(std::vector<float>{1.0f, -2.0f}, {2})}}, {{"k", "v"}});
  const std::string header = R"({"__metadata__":{"k":"v"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  std::string padded = header + std::string((8 - header.size() % 8) % 8, ' ');
  CHECK(read_bytes(path) == make_file(padded, floats({1.0f, -2.0f})));
  // A file as Python's safetensors writes it (other key order, spacing) reads back.
  const std::string py = R"({"b":{"dtype":"F64","shape":[],"data_offsets":[8,16]}, "a": {"dtype": "F32", )"
                         R"("shape": [1, 2], "data_offsets": [0, 8]}, "__metadata__": {"format": "pt"}})";
  double eight = 8.0;
  write_bytes(path, make_file(py, floats({3.0f, 4.0f}) + std::string(reinterpret_cast<char*>(&eight), 8)));
  SafeTensors st = load_safetensors(path);
  CHECK(st.tensors[0].first == "a");
  CHECK(st.get("a").to_vector() == std::vector<double>{3.0, 4.0});
  CHECK(st.get("b").item() == 8.0);
  CHECK(st.metadata.at("format") == "pt");
}

TEST_CASE("safetensors save is atomic and validates before writing") {
  const std::string dir = temp_dir() + "/atomic";
  ::mkdir(dir.c_str(), 0755);
  const std::string path = dir + "/model.safetensors";
  Tensor w = Tensor::ones({2});
  save_safetensors(path, {{"w", w}});
  const std::string good = read_bytes(path);
  // invalid input: nothing is written and the old file stays intact
  CHECK_THROWS_WITH(save_safetensors(path, {{"w", w}, {"w", w}}), doctest::Contains("appears twice"));
  CHECK_THROWS_WITH(save_safetensors(path, {{"__metadata__", w}}), doctest::Contains("invalid tensor name"));
  CHECK_THROWS_WITH(save_safetensors(path, {{"u", Tensor()}}), doctest::Contains("undefined"));
  CHECK_THROWS_WITH(save_safetensors(path, {{"bad\xff", w}}), doctest::Contains("not valid UTF-8"));
  CHECK_THROWS_WITH(save_safetensors(path, {{"w", w}}, {{"k", "\xc0\xaf"}}), doctest::Contains("not valid UTF-8"));
  CHECK(read_bytes(path) == good);
  // failure at rename (the target is a directory): the temporary file is removed
  const std::string blocked = dir + "/blocked";
  ::mkdir(blocked.c_str(), 0755);
  CHECK_THROWS_WITH(save_safetensors(blocked, {{"w", w}}), doctest::Contains("renaming"));
  // failure at open (missing directory)
  CHECK_THROWS_WITH(save_safetensors(dir + "/missing/x.safetensors", {{"w", w}}), doctest::Contains("cannot create"));
  auto files = list_dir(dir);
  std::sort(files.begin(), files.end());
  CHECK(files == std::vector<std::string>{"blocked", "model.safetensors"});
}

TEST_CASE("safetensors loader names each kind of corruption") {
  const std::string ok_header = R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})";
  const std::string data = floats({1.0f, 2.0f});
  auto err = [](const std::string& bytes) {
    try {
      parse_safetensors(bytes, "f");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  auto entry = [](const std::string& dtype, const std::string& shape, const std::string& offsets) {
    return R"({"w":{"dtype":")" + dtype + R"(","shape":)" + shape + R"(,"data_offsets":)" + offsets + "}}";
  };
  CHECK(err(make_file(ok_header, data)) == "no error");
  CHECK(err("abc").find("too short") != std::string::npos);
  std::string huge = make_file(ok_header, data);
  const std::uint64_t big = 1u << 20;
  std::memcpy(&huge[0], &big, 8);
  CHECK(err(huge).find("header length 1048576 exceeds") != std::string::npos);
  CHECK(err(make_file("{\"w\":", data)).find("not valid JSON") != std::string::npos);
  CHECK(err(make_file("[1,2]", "")).find("must be a JSON object") != std::string::npos);
  CHECK(err(make_file(entry("Q7", "[2]", "[0,8]"), data)).find("unknown dtype \"Q7\"") != std::string::npos);
  CHECK(err(make_file(entry("F16", "[4]", "[0,8]"), data)).find("F16 is not supported") != std::string::npos);
  CHECK(err(make_file(entry("F32", "[3]", "[0,8]"), data)).find("needs 12 bytes") != std::string::npos);
  CHECK(err(make_file(entry("F32", "[-2]", "[0,8]"), data)).find("non-negative integer") != std::string::npos);
  CHECK(err(make_file(entry("F32", "[2.5]", "[0,8]"), data)).find("non-negative integer") != std::string::npos);
  CHECK(err(make_file(entry("F32", "[4294967296,4294967296,4294967296]", "[0,8]"), data)).find("too many elements") !=
        std::string::npos);
  CHECK(err(make_file(entry("F32", "[2]", "[8,0]"), data)).find("end before they begin") != std::string::npos);
  CHECK(err(make_file(entry("F32", "[2]", "[0,8]"), data.substr(0, 5))).find("run past the 5 bytes") !=
        std::string::npos);
  CHECK(err(make_file(entry("F32", "[2]", "[4,12]"), data + "xxxx")).find("gap in the data") != std::string::npos);
  CHECK(err(make_file(ok_header, data + "zz")).find("2 trailing bytes") != std::string::npos);
  CHECK(err(make_file(entry("F32", "[2]", "[0,8,9]"), data)).find("array of two integers") != std::string::npos);
  CHECK(err(make_file(entry("F32", "[2]", "[0,99999999999999999999]"), data)).find("does not fit in 64 bits") !=
        std::string::npos);
  const std::string overlap = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                              R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  CHECK(err(make_file(overlap, data)).find("overlap the previous tensor") != std::string::npos);
  CHECK(err(make_file(R"({"w":{"dtype":"F32","shape":[2]}})", data)).find("missing field \"data_offsets\"") !=
        std::string::npos);
  CHECK(err(make_file(R"({"__metadata__":{"k":1}})", "")).find("must be a string") != std::string::npos);
  CHECK(err(make_file(R"({"w":1,"w":2})", "")).find("duplicate key") != std::string::npos);
  CHECK(err(make_file(std::string(100, '[') + std::string(100, ']'), "")).find("nesting deeper") !=
        std::string::npos);
  CHECK_THROWS_WITH(load_safetensors(temp_dir() + "/does_not_exist"), doctest::Contains("cannot open"));
}

TEST_CASE("safetensors loader survives fuzzed input with specnet::Error only") {
  const std::string path = temp_dir() + "/fuzz.safetensors";
  Rng trng(3);
  save_safetensors(path, {{"a", Tensor::randn({3, 2}, trng)}, {"b", Tensor::randn({4}, trng, DType::f64)},
                          {"c", Tensor::scalar(1.0)}}, {{"note", "fuzz \\u00e9"}});
  const std::string valid = read_bytes(path);
  Rng rng(2024);
  auto rnd = [&](std::uint64_t n) { return static_cast<std::uint64_t>(rng.uniform() * static_cast<double>(n)) % n; };
  const std::string alphabet = "{}[]\":,0123456789-+.eE \\u\"F32F64shapedtypedata_offsets__metadata__tfn";
  int parsed = 0, rejected = 0;
  for (int it = 0; it < 4000; ++it) {
    std::string b = valid;
    switch (it % 6) {
      case 0:  // flip random bytes
        for (std::uint64_t k = 0, m = 1 + rnd(8); k < m; ++k) b[rnd(b.size())] ^= static_cast<char>(1 + rnd(255));
        break;
      case 1:  // truncate
        b.resize(rnd(b.size()));
        break;
      case 2: {  // rewrite the header length
        const std::uint64_t n = rnd(4) == 0 ? ~0ull - rnd(100) : rnd(b.size() + 16);
        std::memcpy(&b[0], &n, 8);
        break;
      }
      case 3:  // replace header characters with JSON-ish tokens
        for (std::uint64_t k = 0, m = 1 + rnd(6); k < m; ++k) b[8 + rnd(valid.size() / 3)] = alphabet[rnd(alphabet.size())];
        break;
      case 4: {  // random JSON-ish header over the original data
        std::string h;
        for (std::uint64_t k = 0, m = rnd(200); k < m; ++k) h += alphabet[rnd(alphabet.size())];
        b = make_file(h, valid.substr(valid.size() - 64));
        break;
      }
      default:  // pure random bytes
        b.assign(rnd(64), '\0');
        for (char& c : b) c = static_cast<char>(rnd(256));
        break;
    }
    try {
      SafeTensors st = parse_safetensors(b, "fuzz");
      for (const auto& e : st.tensors) (void)e.second.to_vector();
      ++parsed;
    } catch (const Error&) {
      ++rejected;
    } catch (const std::exception& e) {
      FAIL("non-specnet exception on fuzz input ", it, ": ", std::string(e.what()));
    }
  }
  CHECK(rejected > 3000);
  CHECK(parsed > 0);  // byte flips inside the data section are legitimate files
}
