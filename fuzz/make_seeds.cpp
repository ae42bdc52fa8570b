// Writes small valid inputs for every fuzz harness with specnet's own writers (PHA I with grouping and
// STAT_ERR, PHA II with PARAMS, RMF with several groups, ARF, checkpoint, CLI option values, model expressions),
// so that the seed corpora need no committed binaries. Usage: make_seeds OUT_DIR (creates
// OUT_DIR/corpus_fuzz_<name>/). Used by fuzz/run.sh and by the fuzz replay tests (fuzz/CMakeLists.txt).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fuzz_model.h"
#include "specnet/io/arf.h"
#include "specnet/io/checkpoint.h"
#include "specnet/io/pha.h"
#include "specnet/io/pha2.h"
#include "specnet/io/rmf.h"
#include "specnet/io/safetensors.h"

using namespace specnet;
using namespace specnet::io;

namespace {

std::string dir_for(const std::string& out, const std::string& harness) {
  const std::string d = out + "/corpus_" + harness;
  std::filesystem::create_directories(d);
  return d + "/";
}

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

// A 6-channel spectrum of the given flavour.
Spectrum small_spectrum(bool rate) {
  Spectrum s;
  s.header.telescop = "SEED";
  s.header.first_channel = 1;
  s.header.detchans = 6;
  s.header.is_rate = rate;
  s.header.hduclas2 = rate ? "NET" : "TOTAL";
  s.header.respfile = "seed.rmf";
  s.exposure_s = 1000;
  s.channel = {1, 2, 3, 4, 5, 6};
  s.counts = rate ? std::vector<double>{0.5, -0.1, 2, 0, 1.25, 3} : std::vector<double>{4, 0, 7, 12, 1, 3};
  s.quality = {0, 0, 0, 0, 0, 5};
  s.grouping = {1, -1, 1, 1, -1, 1};
  if (rate) {
    s.stat_err = {0.1, 0.1, 0.2, 0.1, 0.1, 0.3};
    s.header.poisserr = false;
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_seeds OUT_DIR\n");
    return 2;
  }
  const std::string out = argv[1];
  const std::string pha = dir_for(out, "fuzz_pha"), pha2 = dir_for(out, "fuzz_pha2"), rmf = dir_for(out, "fuzz_rmf"),
                    arf = dir_for(out, "fuzz_arf"), st = dir_for(out, "fuzz_safetensors"),
                    num = dir_for(out, "fuzz_cli_numbers"), expr = dir_for(out, "fuzz_expression");
  write_pha(pha + "counts.pha", small_spectrum(false));
  write_pha(pha + "rate.pha", small_spectrum(true));

  SpectrumSet set;
  set.header = small_spectrum(false).header;
  set.num_channels = 6;
  set.params.names = {"kT", "norm"};
  set.params.units = {"keV", ""};
  for (int i = 0; i < 3; ++i) {
    set.spec_num.push_back(i + 1);
    for (int h = 0; h < 6; ++h) set.counts.push_back((i + 1) * h);
    set.exposure_s.push_back(100.0 * (i + 1));
    set.backscal.push_back(1);
    set.areascal.push_back(1);
    set.params.values.insert(set.params.values.end(), {1.0 + i, 0.01 * (i + 1)});
  }
  write_pha2(pha2 + "three.pha", set);

  Rmf r;  // 4 energies x 6 channels, off-diagonal groups so that N_GRP > 1 is exercised
  r.telescop = "SEED";
  r.energy_lo_kev = {1, 2, 3, 4};
  r.energy_hi_kev = {2, 3, 4, 5};
  for (int h = 0; h < 6; ++h) {
    r.channel_e_min_kev.push_back(1 + 0.7 * h);
    r.channel_e_max_kev.push_back(1.7 + 0.7 * h);
  }
  set_dense_matrix(r, {0.6, 0.3, 0, 0, 0.1, 0,  //
                       0, 0.5, 0.4, 0, 0, 0.1,  //
                       0, 0, 0, 0.9, 0, 0,      //
                       0.05, 0, 0, 0, 0.5, 0.45});
  write_rmf(rmf + "groups.rmf", r);
  Arf a;
  a.telescop = "SEED";
  a.energy_lo_kev = r.energy_lo_kev;
  a.energy_hi_kev = r.energy_hi_kev;
  a.area_cm2 = {100, 250, 180, 40};
  write_arf(arf + "four.arf", a);

  fuzz::TinyTraining t;
  CheckpointInfo info;
  info.epoch = 2;
  info.seed = 42;
  info.rng_offsets["shuffle"] = 17;
  info.extra["note"] = "seed";
  save_checkpoint(st + "checkpoint.safetensors", t.model, &t.optimizer, &t.scheduler, info);
  save_safetensors(st + "plain.safetensors", {{"w", t.model.state_dict().at(0).second}}, {{"k", "v"}});

  const std::vector<std::string> numbers = {"1e-3", "+42", "-7.25", "0", "apec_2.kT=1:10:log,apec_2.norm=1e-3:1e-1",
                                            "powerlaw_1.PhoIndex=1.7,2=0.5", "0.3:80:2000:log", "1:10:9:lin"};
  for (std::size_t i = 0; i < numbers.size(); ++i) write_text(num + "seed" + std::to_string(i), numbers[i]);
  write_text(expr + "2t", "tbabs*(apec+apec)\napec_2.kT=3\n");
  write_text(expr + "bhb", "tbabs*simplcut(ezdiskbb)\n");
  write_text(expr + "lines", "constant*tbabs*(bremss+gaussian+bknpower)\n3=0.5\ngaussian_3.LineE=6.4\n");
  std::printf("seeds written under %s\n", out.c_str());
  return 0;
}
