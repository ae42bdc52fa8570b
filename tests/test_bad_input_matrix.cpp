// The bad-input matrix of docs/reliability.md: one representative input per class of bad input (files, models,
// tensors, checkpoints, options, sizes) and the exact specnet::Error it gives. SPECNET_PRINT_BAD_INPUT_MATRIX=1
// prints the table rows that docs/reliability.md carries, so the documentation is generated from this test.
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <limits>

#include "fits_raw_util.h"
#include "harness.h"
#include "ogip_test_util.h"
#include "specnet/bhb/dataset.h"
#include "specnet/ic/train.h"
#include "specnet/io/arf.h"
#include "specnet/io/checkpoint.h"
#include "specnet/io/parse_number.h"
#include "specnet/io/pha.h"
#include "specnet/io/pha2.h"
#include "specnet/io/response.h"
#include "specnet/io/rmf.h"
#include "specnet/io/record_source.h"
#include "specnet/io/safetensors.h"
#include "specnet/io/train_state.h"
#include "specnet/nn/linear.h"
#include "specnet/ops/linear.h"
#include "specnet/optim/adam.h"
#include "specnet/sim/energy_grid.h"
#include "specnet/sim/fakeit.h"

using namespace specnet;
using namespace specnet::io;
using test::ogip_temp;
using test::raw_pha;
using test::RawTable;

namespace {

struct Row {
  std::string what;                // the class of bad input
  std::function<void()> attempt;   // must throw specnet::Error
  std::string expected;            // substring of the message
};

// Runs each row; the message must contain `expected`. Paths of the scratch directory print as <tmp>.
void check_rows(const char* group, const std::vector<Row>& rows) {
  const bool print = std::getenv("SPECNET_PRINT_BAD_INPUT_MATRIX") != nullptr;
  for (const Row& r : rows) {
    CAPTURE(r.what);
    std::string message = "no error";
    try {
      r.attempt();
    } catch (const Error& e) {
      message = e.what();
    } catch (const std::exception& e) {
      FAIL_CHECK("not a specnet::Error: ", e.what());
      continue;
    }
    CHECK_MESSAGE(message.find(r.expected) != std::string::npos, message);
    if (print) {
      for (auto p = message.find(test::ogip_temp_dir()); p != std::string::npos; p = message.find(test::ogip_temp_dir()))
        message.replace(p, test::ogip_temp_dir().size(), "<tmp>");
      std::replace(message.begin(), message.end(), '\n', ' ');
      std::replace(message.begin(), message.end(), '|', '/');
      std::cout << "| " << r.what << " | `" << message << "` | " << group << " |\n";
    }
  }
}

Arf small_arf(int n) {
  Arf a;
  for (int e = 0; e < n; ++e) {
    a.energy_lo_kev.push_back(1.0 + e);
    a.energy_hi_kev.push_back(2.0 + e);
    a.area_cm2.push_back(10.0);
  }
  return a;
}

Spectrum small_pha(int channels) {
  Spectrum s;
  s.header.detchans = channels;
  s.exposure_s = 100;
  for (int c = 0; c < channels; ++c) {
    s.channel.push_back(c + 1);
    s.counts.push_back(c);
  }
  return s;
}

// A copy of `path` with the header card of `key` replaced by `card` (80 columns, padded).
std::string patched(const std::string& path, const std::string& key, const std::string& card, const char* name) {
  auto bytes = test::read_bytes(path);
  const std::string needle = key + std::string(8 - key.size(), ' ') + "=";
  const auto it = std::search(bytes.begin(), bytes.end(), needle.begin(), needle.end());
  REQUIRE(it != bytes.end());
  std::string full = card + std::string(80 - card.size(), ' ');
  std::copy(full.begin(), full.end(), it);
  const std::string out = ogip_temp(name);
  test::write_bytes(out, bytes);
  return out;
}

}  // namespace

TEST_CASE("bad input matrix: OGIP files") {
  const std::string arf_path = ogip_temp("matrix.arf");
  write_arf(arf_path, small_arf(40));
  const auto arf_bytes = test::read_bytes(arf_path);
  const std::string truncated = ogip_temp("truncated.arf");
  test::write_bytes(truncated, std::vector<char>(arf_bytes.begin(), arf_bytes.begin() + arf_bytes.size() / 2));
  const std::string random = ogip_temp("random.pha");
  test::write_bytes(random, std::vector<char>(3000, 'x'));
  const std::string image = ogip_temp("image.pha");
  {
    int status = 0;
    fitsfile* f = nullptr;
    std::remove(image.c_str());
    fits_create_diskfile(&f, image.c_str(), &status);
    long axes[2] = {4, 4};
    fits_create_img(f, BYTE_IMG, 0, nullptr, &status);
    fits_create_img(f, SHORT_IMG, 2, axes, &status);
    fits_update_key(f, TSTRING, "EXTNAME", const_cast<char*>("SPECTRUM"), nullptr, &status);
    fits_close_file(f, &status);
    REQUIRE(status == 0);
  }
  const std::string pha_path = ogip_temp("matrix.pha");
  write_pha(pha_path, small_pha(8));
  const std::string pha2_path = ogip_temp("matrix2.pha");
  {
    SpectrumSet set;
    set.header.detchans = 6;
    set.num_channels = 6;
    for (int i = 0; i < 3; ++i) {
      set.spec_num.push_back(i + 1);
      for (int h = 0; h < 6; ++h) set.counts.push_back(h);
      set.exposure_s.push_back(10);
      set.backscal.push_back(1);
      set.areascal.push_back(1);
    }
    write_pha2(pha2_path, set);
  }
  Rmf rmf;
  rmf.energy_lo_kev = {1, 2, 3};
  rmf.energy_hi_kev = {2, 3, 4};
  rmf.channel_e_min_kev = {1, 2, 3, 4};
  rmf.channel_e_max_kev = {2, 3, 4, 5};
  set_dense_matrix(rmf, {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0});
  const Arf four = small_arf(4);
  const auto unsorted = ogip_temp("unsorted.arf");
  RawTable(unsorted, "SPECRESP", {"ENERG_LO", "ENERG_HI", "SPECRESP"}, {"1E", "1E", "1E"}, 3)
      .col(1, {1, 3, 2})
      .col(2, {2, 4, 3})
      .col(3, {1, 1, 1});
  const auto nan_area = ogip_temp("nan_area.arf");
  RawTable(nan_area, "SPECRESP", {"ENERG_LO", "ENERG_HI", "SPECRESP"}, {"1E", "1E", "1E"}, 2)
      .col(1, {1, 2})
      .col(2, {2, 3})
      .col(3, {1, NAN});
  const auto no_exposure = ogip_temp("no_exposure.pha");
  RawTable(no_exposure, "SPECTRUM", {"CHANNEL", "COUNTS"}, {"1J", "1J"}, 3).col(1, {1, 2, 3}).col(2, {1, 1, 1});

  check_rows("`bad input matrix: OGIP files`", {
      {"missing file", [] { read_pha(ogip_temp("absent.pha")); }, "absent.pha: cannot open: no such regular file"},
      {"not a FITS file (random bytes)", [&] { read_pha(random); }, "random.pha: corrupt FITS header"},
      {"truncated file (half of an ARF)", [&] { read_arf(truncated); }, "truncated.arf"},
      {"wrong HDU type (SPECTRUM is an image)", [&] { read_pha(image); }, "image.pha: extension SPECTRUM is an image, not a binary table"},
      {"missing extension (ARF read as PHA)", [&] { read_pha(arf_path); }, "missing extension SPECTRUM"},
      {"missing keyword (EXPOSURE)", [&] { read_pha(no_exposure); }, "missing keyword EXPOSURE"},
      {"NaN in data (COUNTS)", [] { read_pha(raw_pha("nan.pha", {1, NAN, 3}, 10)); }, "COUNTS is not finite"},
      {"Inf in data (COUNTS)", [] { read_pha(raw_pha("inf.pha", {1, 2, INFINITY}, 10)); }, "not finite"},
      {"NaN in a response (SPECRESP)", [&] { read_arf(nan_area); }, "nan_area.arf [SPECRESP]"},
      {"negative counts", [] { read_pha(raw_pha("neg.pha", {1, -2, 3}, 10)); }, "COUNTS is negative"},
      {"zero exposure", [] { read_pha(raw_pha("zero_exp.pha", {1, 2, 3}, 0)); }, "EXPOSURE must be > 0"},
      {"unsorted energies (ARF)", [&] { read_arf(unsorted); }, "energy grid not monotonic"},
      {"mismatched channels (PHA vs RMF)", [&] { check_compatible(small_pha(8), "eight.pha", rmf, "four.rmf"); },
       "channel mismatch: eight.pha has 8 channels (DETCHANS) but four.rmf has 4"},
      {"mismatched energy grids (ARF vs RMF)", [&] { check_compatible(rmf, "r.rmf", four, "four.arf"); },
       "four.arf has 4 energy bins but r.rmf has 3"},
      {"absurd size: NAXIS2 = 10^15 rows in a small file",
       [&] { read_pha(patched(pha_path, "NAXIS2", "NAXIS2  =     1000000000000000", "rows.pha")); }, "rows.pha"},
      {"inconsistent sizes: DETCHANS 3 for 8 rows", [&] {
         read_pha(patched(pha_path, "DETCHANS", "DETCHANS=                    3", "detchans.pha"));
       }, "table has 8 channels but DETCHANS is 3"},
      {"absurd size: PHA II COUNTS vectors of 10^9 channels", [&] {
         read_pha2(patched(pha2_path, "TFORM3", "TFORM3  = '1000000000J'", "wide.pha"));
       }, "wide.pha"},
  });
}

TEST_CASE("bad input matrix: models, grids and simulation options") {
  sim::CompositeModel pl("tbabs*powerlaw");
  check_rows("`bad input matrix: models, grids and simulation options`", {
      {"unknown model name", [] { sim::CompositeModel("tbabs*nosuchmodel"); }, "nosuchmodel"},
      {"malformed expression", [] { sim::CompositeModel("tbabs*(powerlaw"); }, "missing ')'"},
      {"unknown parameter name", [&] { pl.set("powerlaw_2.Gamma", 2); }, "Gamma"},
      {"out-of-limit parameter", [&] { pl.set("powerlaw_2.PhoIndex", 1e6); }, "PhoIndex"},
      {"NaN parameter", [&] { pl.set("tbabs_1.nH", NAN); }, "nH"},
      {"unsorted energies (model grid)", [&] { pl.evaluate(std::vector<double>{1, 3, 2}); }, "edges must be strictly increasing"},
      {"absurd size: energy grid of 10^9 bins", [] { sim::parse_energy_grid("1:10:999999999"); }, "bin count"},
      {"zero exposure (fakeit)", [] { sim::make_fakeit_setup(sim::builtin_response("nicer"), 0); },
       "exposure (s) must be a positive finite number"},
      {"prior with lo >= hi", [] { sim::parse_priors("powerlaw_2.PhoIndex=3:1"); }, "lo must be < hi"},
      {"log prior with lo <= 0", [] { sim::parse_priors("powerlaw_2.norm=0:1:log"); }, "needs lo > 0"},
      {"prior outside the hard limits", [&] {
         sim::simulate_block(sim::make_fakeit_setup(sim::builtin_response("nicer"), 1e3), pl,
                             sim::parse_priors("powerlaw_2.PhoIndex=-1e6:1"), 0, 0, 0, nullptr, nullptr);
       }, "leaves the hard limits"},
      {"absurd size: 10^12 spectra (PARAMS table over the memory budget)", [&] {
         sim::DatasetOptions d;
         d.count = 1'000'000'000'000;
         sim::simulate_dataset(sim::make_fakeit_setup(sim::builtin_response("nicer"), 1e3), pl, {}, d,
                               ogip_temp("never.pha"));
       }, "exceeds half the memory budget"},
      {"option not a number", [] { parse_finite_double("1e5x", "option --exposure"); },
       "option --exposure: '1e5x' is not a finite number"},
      {"option NaN/Inf", [] { parse_finite_double("inf", "option --exposure"); }, "'inf' is not a finite number"},
      {"option overflowing double", [] { parse_finite_double("1e999", "option --exposure"); }, "out of the double range"},
      {"option not a whole number", [] { parse_integer("1e6", "option --count"); }, "'1e6' is not a whole number"},
      {"option overflowing 64 bits", [] { parse_integer("99999999999999999999", "option --seed"); }, "out of range"},
  });
}

TEST_CASE("bad input matrix: tensors and checkpoints") {
  Rng rng(1);
  const std::string ckpt = ogip_temp("matrix.safetensors");
  {
    nn::Linear m(3, 2, rng);
    optim::Adam opt(m.named_parameters());
    save_checkpoint(ckpt, m, &opt, nullptr, {});
  }
  const auto good = test::read_bytes(ckpt);
  auto variant = [&](const char* name, const std::function<void(std::vector<char>&)>& change) {
    auto b = good;
    change(b);
    test::write_bytes(ogip_temp(name), b);
    return ogip_temp(name);
  };
  const std::string flipped = variant("flipped.safetensors", [](std::vector<char>& b) { b[12] = '#'; });
  const std::string cut = variant("cut.safetensors", [](std::vector<char>& b) { b.resize(b.size() - 5); });
  const std::string huge_header = variant("huge_header.safetensors", [](std::vector<char>& b) {
    const std::uint64_t n = std::numeric_limits<std::uint64_t>::max() - 7;
    std::memcpy(b.data(), &n, 8);
  });
  const std::string huge_shape = ogip_temp("huge_shape.safetensors");
  {
    const std::string header = R"({"w":{"dtype":"F32","shape":[1000000000,1000000000],"data_offsets":[0,8]}})";
    std::vector<char> b(8);
    const std::uint64_t n = header.size();
    std::memcpy(b.data(), &n, 8);
    b.insert(b.end(), header.begin(), header.end());
    b.resize(b.size() + 8, '\0');
    test::write_bytes(huge_shape, b);
  }
  check_rows("`bad input matrix: tensors and checkpoints`", {
      {"wrong tensor shapes (linear)", [&] { linear(Tensor::ones({4, 3}), Tensor::ones({2, 5})); }, "linear"},
      {"absurd size: tensor of 2^40 elements", [] { Tensor::zeros({1LL << 20, 1LL << 20}); },
       "refusing to allocate (1048576, 1048576) of float32"},
      {"absurd size whose byte count wraps to 0: 2^31 x 2^31", [] { Tensor::zeros({1LL << 31, 1LL << 31}); },
       "refusing to allocate (2147483648, 2147483648) of float32"},
      {"corrupted checkpoint (one header byte)", [&] { load_safetensors(flipped); }, "flipped.safetensors"},
      {"truncated checkpoint", [&] { load_safetensors(cut); }, "cut.safetensors"},
      {"absurd size: header length 2^64-8", [&] { load_safetensors(huge_header); }, "exceeds"},
      {"absurd size: tensor shape 10^9 x 10^9 in a checkpoint", [&] { load_safetensors(huge_shape); },
       "huge_shape.safetensors"},
      {"checkpoint of another model (shapes)", [&] {
         Rng r2(2);
         nn::Linear other(5, 2, r2);
         load_checkpoint(ckpt, other);
       }, "shape"},
  });
}

TEST_CASE("bad input matrix: training data and resume") {
  // 300 IC spectra of 32 channels (38 kB of counts) and a checkpoint of a training run.
  ic::IcSpectra s;
  s.num_channels = 32;
  s.exposure_s = 1e6;
  for (int i = 0; i < 300; ++i) {
    s.kind.push_back(ic::SpectrumKind::two_temperature);
    s.truth.push_back({0.05, 0.3, 2.0 + i % 7, 0.5, 3, 0.2, 0});
    s.fit_kt_kev.push_back(2.0 + i % 5);
    s.fit_norm.push_back(0.1 + 0.01 * (i % 3));
    for (int c = 0; c < 32; ++c) s.counts.push_back(float((i + c) % 9));
  }
  const std::string spectra = ogip_temp("train.bin"), cut = ogip_temp("cut.bin");
  ic::write_ic_spectra(spectra, s);
  auto bytes = test::read_bytes(spectra);
  bytes.resize(bytes.size() - 100);
  test::write_bytes(cut, bytes);
  const std::string bhb_cut = ogip_temp("cut.bhb");
  {
    bhb::DatasetWriter w(bhb_cut, {});
    bhb::GroupedSpectrum g;
    g.rate.assign(240, 1.0f);
    g.sigma.assign(240, 0.1f);
    const double theta[bhb::kNumParams] = {1, 2, 0.1, 1, 100};
    for (int i = 0; i < 3; ++i) w.append(i, theta, g);
    w.close();
    auto b = test::read_bytes(bhb_cut);
    b.resize(b.size() - 10);
    test::write_bytes(bhb_cut, b);
  }
  const std::string run = ogip_temp("run.ckpt"), best = ogip_temp("run.best");
  Rng rng(1);
  nn::Linear m(3, 2, rng);
  optim::Adam opt(m.named_parameters());
  optim::ReduceLROnPlateau plateau(opt);
  save_checkpoint(best, m, nullptr, nullptr, {});
  save_train_state(run, m, opt, plateau, TrainState{1, {{0.5, 0.4}}, 1, 0.4, {}, {}}, 7, "data A, batch 8");
  check_rows("`bad input matrix: training data and resume`", {
      {"memory budget too small for one streamed batch", [&] {
         const ic::LabelScaler scaler = ic::fit_label_scaler(s);
         const ic::ModelData d = ic::make_model_data(ic::open_ic_spectra(spectra, 10000), 32, false, &scaler);
         nn::IcCaeConfig cfg;
         cfg.n_bins = 32;
         Rng init(1);
         nn::IcCae net(cfg, init);
         ic::TrainOptions t;
         t.progress = false;
         ic::train_ic_model(net, d, {0, 1, 2}, {3, 4}, t);
       }, "train_ic_model: a batch of 256 rows (0.03125 MiB) does not fit the memory budget of 0.00953674 MiB"},
      {"negative memory budget", [] { training_budget_bytes(-5); }, "memory budget must be >= 0 MiB"},
      {"malformed SPECNET_MEMORY_BUDGET_MB", [] {
         setenv("SPECNET_MEMORY_BUDGET_MB", "64k", 1);
         try {
           training_budget_bytes(0);
         } catch (...) {
           unsetenv("SPECNET_MEMORY_BUDGET_MB");
           throw;
         }
         unsetenv("SPECNET_MEMORY_BUDGET_MB");
       }, "SPECNET_MEMORY_BUDGET_MB"},
      {"truncated IC spectra file", [&] { ic::open_ic_spectra(cut, 1 << 20); }, "which does not match 300 spectra"},
      {"truncated BHB record file", [&] { bhb::open_dataset(bhb_cut, 1 << 20); }, "is truncated"},
      {"resume from a checkpoint of other data or settings", [&] {
         load_train_state(run, best, m, opt, plateau, 7, "data B, batch 8", 2, "train");
       }, "belongs to another run"},
      {"resume with another seed", [&] {
         load_train_state(run, best, m, opt, plateau, 8, "data A, batch 8", 2, "train");
       }, "was written with seed 7, this run uses 8"},
  });
}
