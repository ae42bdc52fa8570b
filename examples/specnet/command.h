// The specnet CLI's subcommand registry: each examples/specnet/cmd_*.cpp registers one subcommand, so a
// new command edits no central file. Also small argument helpers with clear errors.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "specnet/dtype.h"

namespace specnet::cli {

using Args = std::vector<std::string>;

struct Command {
  std::string name, summary;
  std::function<int(const Args&)> run;
};

std::map<std::string, Command>& commands();
struct RegisterCommand {
  explicit RegisterCommand(Command c) { commands().emplace(c.name, std::move(c)); }
};

// `specnet dataset KIND ...`: each pipeline registers its dataset kind (ic, bhb, ...); the runner gets the
// arguments with KIND first, as typed.
std::map<std::string, Command>& dataset_kinds();
struct RegisterDatasetKind {
  explicit RegisterDatasetKind(Command c) { dataset_kinds().emplace(c.name, std::move(c)); }
};

// --key value options; flags without a value map to "1". Unknown keys are an error listing the known ones.
class Options {
 public:
  Options(const Args& args, const std::map<std::string, std::string>& defaults_with_help);
  std::string str(const std::string& key) const;
  double num(const std::string& key) const;          // finite number or a clear error
  long long integer(const std::string& key) const;   // whole number or a clear error
  std::vector<std::int64_t> int_list(const std::string& key) const;  // "a,b,c" positive whole numbers, or an error
  bool flag(const std::string& key) const;
  Device device(const std::string& key = "device") const;  // "cpu" or "cuda", or an error
  bool help() const { return help_; }
  std::string usage() const;
 private:
  std::map<std::string, std::string> values_, help_text_;
  bool help_ = false;
};

}  // namespace specnet::cli
