// Per-epoch training state (history, best epoch, fingerprint) in checkpoint metadata as exact "%a" numbers, its
// checked restore for an exact resume, and the SPECNET_TEST_STOP_AT crash-test hook.
#include "specnet/io/train_state.h"

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "specnet/error.h"
#include "specnet/io/parse_number.h"
#include "specnet/io/safetensors.h"

namespace specnet {
namespace {

// Exact text of a double ("%a") so that resumed runs compare bit for bit.
std::string hex(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a", v);
  return buf;
}
double unhex(const std::string& s, const std::string& what) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  SPECNET_CHECK(end && *end == '\0' && !s.empty(), what, ": \"", s, "\" is not a number");
  return v;
}

// Rows "a,b,c;" of hex numbers.
std::string encode_history(const std::vector<std::vector<double>>& h) {
  std::string out;
  for (const auto& row : h) {
    for (std::size_t j = 0; j < row.size(); ++j) out += (j ? "," : "") + hex(row[j]);
    out += ";";
  }
  return out;
}
std::vector<std::vector<double>> decode_history(const std::string& s, std::size_t fields, const std::string& what) {
  std::vector<std::vector<double>> h;
  std::stringstream ss(s);
  std::string rec;
  while (std::getline(ss, rec, ';')) {
    std::stringstream rs(rec);
    std::vector<double> row;
    for (std::string x; std::getline(rs, x, ',');) row.push_back(unhex(x, what + " history"));
    SPECNET_CHECK(row.size() == fields, what, ": malformed history (a row of ", row.size(), " numbers, expected ",
                  fields, ")");
    h.push_back(row);
  }
  return h;
}

}  // namespace

void save_train_state(const std::string& path, const nn::Module& model, const optim::Optimizer& optimizer,
                      const optim::ReduceLROnPlateau& scheduler, const TrainState& st, std::uint64_t seed,
                      const std::string& fingerprint, const std::map<std::string, std::string>& extra) {
  CheckpointInfo info;
  info.epoch = st.epoch;
  info.seed = seed;
  info.rng_offsets = st.rng_offsets;
  info.tensors = st.tensors;
  info.extra = extra;
  info.extra["history"] = encode_history(st.history);
  info.extra["best_epoch"] = std::to_string(st.best_epoch);
  info.extra["best_val"] = hex(st.best_val);
  info.extra["fingerprint"] = fingerprint;
  save_checkpoint(path, model, &optimizer, &scheduler, info);
}

TrainState load_train_state(const std::string& path, const std::string& best_path, nn::Module& model,
                            optim::Optimizer& optimizer, optim::ReduceLROnPlateau& scheduler, std::uint64_t seed,
                            const std::string& fingerprint, std::size_t history_fields, const std::string& who) {
  // Checks on the metadata first, so that a refused checkpoint leaves everything as it was.
  const SafeTensors file = load_safetensors(path);
  auto meta = [&](const std::string& k) -> const std::string* {
    auto it = file.metadata.find("user." + k);
    return it == file.metadata.end() ? nullptr : &it->second;
  };
  SPECNET_CHECK(meta("history") && meta("best_epoch") && meta("best_val"), who, ": ", path,
                " is not a training checkpoint of this command (no history / best epoch)");
  const std::string* fp = meta("fingerprint");
  SPECNET_CHECK(fp && *fp == fingerprint, who, ": ", path, " belongs to another run (data or settings differ: \"",
                fp ? *fp : "", "\" vs \"", fingerprint, "\"); remove it or start fresh");
  const auto seed_it = file.metadata.find("seed");
  SPECNET_CHECK(seed_it != file.metadata.end() && seed_it->second == std::to_string(seed), who, ": ", path,
                " was written with seed ", seed_it != file.metadata.end() ? seed_it->second : "?", ", this run uses ",
                seed);
  TrainState st;
  st.history = decode_history(*meta("history"), history_fields, who + ": " + path);
  st.best_epoch = io::parse_integer(*meta("best_epoch"), who + ": best_epoch");
  st.best_val = unhex(*meta("best_val"), who + ": best_val");
  st.best = checkpoint_weights(best_path);
  const CheckpointInfo info = load_checkpoint(path, model, &optimizer, &scheduler);
  st.epoch = info.epoch;
  st.rng_offsets = info.rng_offsets;
  st.tensors = info.tensors;
  SPECNET_CHECK(std::int64_t(st.history.size()) == st.epoch && st.best_epoch >= 1 && st.best_epoch <= st.epoch, who,
                ": ", path, " is inconsistent (epoch ", st.epoch, ", ", st.history.size(), " history rows, best epoch ",
                st.best_epoch, ")");
  return st;
}

nn::NamedTensors checkpoint_weights(const std::string& path) {
  const SafeTensors file = load_safetensors(path);
  nn::NamedTensors out;
  for (const auto& [name, t] : file.tensors)
    if (name.rfind("model.", 0) == 0) out.emplace_back(name.substr(6), t);
  SPECNET_CHECK(!out.empty(), path, ": no model weights (\"model.*\" tensors) in the checkpoint");
  return out;
}

EpochTimeLimit::EpochTimeLimit(double limit_s) : limit_s_(limit_s), t0_(std::chrono::steady_clock::now()) {
  SPECNET_CHECK(std::isfinite(limit_s) && limit_s >= 0, "time limit: need a number of seconds >= 0 (0: none), got ",
                limit_s);
}

bool EpochTimeLimit::another_epoch_fits(std::int64_t epochs_done) const {
  if (limit_s_ == 0 || epochs_done < 1) return true;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
  return elapsed + elapsed / double(epochs_done) <= limit_s_;
}

void test_stop_point(std::int64_t epoch, std::int64_t batch) {
  static const std::pair<long long, long long> at = [] {
    const char* env = std::getenv("SPECNET_TEST_STOP_AT");
    if (!env || !*env) return std::pair<long long, long long>{-1, -1};
    const std::string v(env);
    const auto colon = v.find(':');
    SPECNET_CHECK(colon != std::string::npos, "SPECNET_TEST_STOP_AT must be EPOCH:BATCH, got \"", v, "\"");
    return std::pair<long long, long long>{io::parse_integer(v.substr(0, colon), "SPECNET_TEST_STOP_AT epoch"),
                                           io::parse_integer(v.substr(colon + 1), "SPECNET_TEST_STOP_AT batch")};
  }();
  if (at.first != epoch || at.second != batch) return;
  std::printf("test hook: stopped at epoch %lld batch %lld\n", (long long)epoch, (long long)batch);
  std::fflush(stdout);
  std::raise(SIGSTOP);
}

}  // namespace specnet
