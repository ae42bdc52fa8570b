// Training checkpoints in one safetensors file: prefixed tensor sections plus "__metadata__" strings for
// format, epoch, seed and RNG positions ("seed:stream:offset", exact 64-bit values that a float could not hold).
#include "specnet/io/checkpoint.h"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <map>

#include "specnet/io/safetensors.h"

namespace specnet {

namespace {

constexpr const char* kFormat = "specnet.checkpoint";
constexpr const char* kVersion = "1";

std::uint64_t parse_u64(const std::string& s, const std::string& what) {
  SPECNET_CHECK(!s.empty() && s.size() <= 20 && s.find_first_not_of("0123456789") == std::string::npos,
                "load_checkpoint: metadata ", what, " = \"", s, "\" is not an unsigned integer");
  errno = 0;
  const unsigned long long v = std::strtoull(s.c_str(), nullptr, 10);
  SPECNET_CHECK(errno == 0, "load_checkpoint: metadata ", what, " = \"", s, "\" does not fit in 64 bits");
  return v;
}

// Splits "a:b:c" into three unsigned integers.
std::array<std::uint64_t, 3> parse_rng(const std::string& s, const std::string& what) {
  const auto p1 = s.find(':'), p2 = p1 == std::string::npos ? p1 : s.find(':', p1 + 1);
  SPECNET_CHECK(p2 != std::string::npos, "load_checkpoint: metadata ", what, " = \"", s,
                "\" is not seed:stream:offset");
  return {parse_u64(s.substr(0, p1), what), parse_u64(s.substr(p1 + 1, p2 - p1 - 1), what),
          parse_u64(s.substr(p2 + 1), what)};
}

// Entries of `all` under "prefix." with the prefix removed.
nn::NamedTensors section(const SafeTensors& all, const std::string& prefix) {
  nn::NamedTensors out;
  for (const auto& [name, t] : all.tensors)
    if (name.compare(0, prefix.size(), prefix) == 0) out.emplace_back(name.substr(prefix.size()), t);
  return out;
}

// The format and version every checkpoint carries in its metadata; `who` names the caller in the message.
void check_format(const std::map<std::string, std::string>& meta, const std::string& path, const char* who) {
  const auto format = meta.find("format"), version = meta.find("format_version");
  SPECNET_CHECK(format != meta.end() && format->second == kFormat, who, ": ", path,
                " is not a specnet checkpoint (no format=", kFormat, " metadata)");
  SPECNET_CHECK(version != meta.end() && version->second == kVersion, who, ": ", path, " has format version ",
                version != meta.end() ? version->second : "?", ", expected ", kVersion);
}

}  // namespace

void save_checkpoint(const std::string& path, const nn::Module& model, const optim::Optimizer* optimizer,
                     const optim::ReduceLROnPlateau* scheduler, const CheckpointInfo& info) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [n, t] : model.state_dict()) tensors.emplace_back("model." + n, t);
  std::map<std::string, std::string> meta{{"format", kFormat},
                                          {"format_version", kVersion},
                                          {"model", model.type_name()},
                                          {"epoch", std::to_string(info.epoch)},
                                          {"seed", std::to_string(info.seed)}};
  if (optimizer) {
    for (const auto& [n, t] : optimizer->state_dict()) tensors.emplace_back("optimizer." + n, t);
    meta["optimizer"] = optimizer->type_name();
  }
  if (scheduler) {
    for (const auto& [n, t] : scheduler->state_dict()) tensors.emplace_back("scheduler." + n, t);
    meta["scheduler"] = "ReduceLROnPlateau";
  }
  for (const auto& [n, t] : info.tensors) tensors.emplace_back("extra." + n, t);
  for (const auto& [n, rng] : model.named_rngs())
    meta["module_rng." + n] = str(rng->seed(), ":", rng->stream(), ":", rng->offset());
  for (const auto& [n, off] : info.rng_offsets) meta["rng_offset." + n] = std::to_string(off);
  for (const auto& [k, v] : info.extra) meta["user." + k] = v;
  save_safetensors(path, tensors, meta);
}

CheckpointInfo load_checkpoint(const std::string& path, nn::Module& model, optim::Optimizer* optimizer,
                               optim::ReduceLROnPlateau* scheduler) {
  const SafeTensors file = load_safetensors(path);
  const auto& meta = file.metadata;
  auto get = [&](const std::string& k) -> const std::string* {
    auto it = meta.find(k);
    return it == meta.end() ? nullptr : &it->second;
  };
  check_format(meta, path, "load_checkpoint");

  // Parse and check all metadata first.
  CheckpointInfo info;
  SPECNET_CHECK(get("epoch") && get("seed"), "load_checkpoint: ", path, " lacks epoch/seed metadata");
  const std::string& ep = *get("epoch");
  const bool neg = !ep.empty() && ep[0] == '-';
  const std::uint64_t ep_abs = parse_u64(neg ? ep.substr(1) : ep, "epoch");
  SPECNET_CHECK(ep_abs <= static_cast<std::uint64_t>(INT64_MAX), "load_checkpoint: epoch ", ep, " out of range");
  info.epoch = neg ? -static_cast<std::int64_t>(ep_abs) : static_cast<std::int64_t>(ep_abs);
  info.seed = parse_u64(*get("seed"), "seed");
  std::map<std::string, std::array<std::uint64_t, 3>> module_rngs;
  for (const auto& [k, v] : meta) {
    if (k.rfind("module_rng.", 0) == 0) module_rngs[k.substr(11)] = parse_rng(v, k);
    else if (k.rfind("rng_offset.", 0) == 0) info.rng_offsets[k.substr(11)] = parse_u64(v, k);
    else if (k.rfind("user.", 0) == 0) info.extra[k.substr(5)] = v;
  }
  const auto rngs = model.named_rngs();
  std::string rng_problems;
  for (const auto& [n, r] : rngs)
    if (!module_rngs.count(n)) rng_problems += " missing '" + n + "'";
  for (const auto& [n, v] : module_rngs) {
    bool found = false;
    for (const auto& r : rngs) found = found || r.first == n;
    if (!found) rng_problems += " unexpected '" + n + "'";
  }
  SPECNET_CHECK(rng_problems.empty(), "load_checkpoint: module RNGs differ from the checkpoint:", rng_problems);
  if (optimizer) {
    SPECNET_CHECK(get("optimizer"), "load_checkpoint: ", path, " holds no optimizer state");
    SPECNET_CHECK(*get("optimizer") == optimizer->type_name(), "load_checkpoint: checkpoint optimizer is ",
                  *get("optimizer"), ", given ", optimizer->type_name());
  }
  SPECNET_CHECK(!scheduler || get("scheduler"), "load_checkpoint: ", path, " holds no scheduler state");

  // Optimizer and scheduler validate before changing anything; keep their old state to roll back if a later
  // part fails. The model is loaded last (its strict load also validates fully before copying).
  const nn::NamedTensors old_opt = optimizer ? optimizer->state_dict() : nn::NamedTensors{};
  const nn::NamedTensors old_sched = scheduler ? scheduler->state_dict() : nn::NamedTensors{};
  try {
    if (optimizer) optimizer->load_state_dict(section(file, "optimizer."));
    if (scheduler) scheduler->load_state_dict(section(file, "scheduler."));
    model.load_state_dict(section(file, "model."), true);
  } catch (...) {
    if (optimizer) optimizer->load_state_dict(old_opt);
    if (scheduler) scheduler->load_state_dict(old_sched);
    throw;
  }
  info.tensors = section(file, "extra.");
  for (const auto& [n, r] : rngs) {
    const auto& v = module_rngs.at(n);
    *r = Rng(v[0], v[1]);
    r->set_offset(v[2]);
  }
  return info;
}

void load_optimizer_moments(const std::string& path, optim::Optimizer& optimizer) {
  const SafeTensors file = load_safetensors(path);
  check_format(file.metadata, path, "load_optimizer_moments");
  const auto type = file.metadata.find("optimizer");
  SPECNET_CHECK(type != file.metadata.end(), "load_optimizer_moments: ", path, " holds no optimizer state");
  SPECNET_CHECK(type->second == optimizer.type_name(), "load_optimizer_moments: ", path, " holds ", type->second,
                " state, given ", optimizer.type_name());
  nn::NamedTensors state;  // the file's per-parameter state, then this optimizer's own group hyperparameters
  for (auto& [key, t] : section(file, "optimizer."))
    if (key.rfind("param_groups.", 0) != 0) state.emplace_back(key, t);
  std::string missing;
  for (const auto& [key, t] : optimizer.state_dict())
    if (key.rfind("param_groups.", 0) == 0) state.emplace_back(key, t);
  for (std::size_t g = 0; g < optimizer.num_groups(); ++g)
    if (!optimizer.group(g).frozen)
      for (const auto& [name, p] : optimizer.group(g).params)
        if (!file.contains("optimizer.state." + name + ".step")) missing += " '" + name + "'";
  SPECNET_CHECK(missing.empty(), "load_optimizer_moments: ", path, " holds no moments for the trainable parameter(s)",
                missing, " (saved by another training stage?)");
  optimizer.load_state_dict(state);
}

}  // namespace specnet
