// specnet command-line tool: `specnet <command> [--option value ...]`; `specnet help` lists commands.
#include <cstdio>
#include <exception>
#include <sstream>

#include "command.h"
#include "specnet/context.h"
#include "specnet/error.h"
#include "specnet/io/parse_number.h"

namespace specnet::cli {

std::map<std::string, Command>& commands() {
  static std::map<std::string, Command> c;
  return c;
}

Options::Options(const Args& args, const std::map<std::string, std::string>& defaults_with_help) {
  // defaults_with_help: key -> "default|help text"
  for (const auto& [k, v] : defaults_with_help) {
    auto bar = v.find('|');
    values_[k] = v.substr(0, bar);
    help_text_[k] = bar == std::string::npos ? "" : v.substr(bar + 1);
  }
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") { help_ = true; continue; }
    SPECNET_CHECK(a.rfind("--", 0) == 0, "unexpected argument '", a, "' (options look like --name value)\n", usage());
    std::string key = a.substr(2);
    SPECNET_CHECK(values_.count(key), "unknown option --", key, "\n", usage());
    if (i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0) values_[key] = args[++i];
    else values_[key] = "1";
  }
}

std::string Options::str(const std::string& key) const { return values_.at(key); }

double Options::num(const std::string& key) const { return io::parse_finite_double(values_.at(key), "option --" + key); }

long long Options::integer(const std::string& key) const { return io::parse_integer(values_.at(key), "option --" + key); }

Device Options::device(const std::string& key) const {
  const std::string text = str(key);
  SPECNET_CHECK(text == "cpu" || text == "cuda", "option --", key, ": '", text, "' must be cpu or cuda");
  return text == "cpu" ? Device::cpu : Device::cuda;
}

std::vector<std::int64_t> Options::int_list(const std::string& key) const {
  const std::string& text = values_.at(key);
  std::vector<std::int64_t> v;
  std::stringstream ss(text);
  std::string f;
  while (std::getline(ss, f, ',')) {
    std::size_t used = 0;
    long long x = 0;
    try { x = std::stoll(f, &used); } catch (...) { used = 0; }
    SPECNET_CHECK(used == f.size() && used > 0 && x > 0, "option --", key, ": '", f, "' in '", text,
                  "' is not a positive whole number");
    v.push_back(x);
  }
  SPECNET_CHECK(!v.empty(), "option --", key, ": empty list");
  return v;
}

bool Options::flag(const std::string& key) const {
  const std::string& s = values_.at(key);
  return !(s.empty() || s == "0" || s == "false" || s == "no");
}

std::string Options::usage() const {
  std::string u = "options:\n";
  for (const auto& [k, v] : values_) u += "  --" + k + " (default " + (v.empty() ? "none" : v) + ")  " + help_text_.at(k) + "\n";
  return u;
}

}  // namespace specnet::cli

int main(int argc, char** argv) {
  using namespace specnet::cli;
  auto usage = [] {
    std::printf("usage: specnet <command> [options]   (specnet <command> --help for its options)\ncommands:\n");
    for (const auto& [name, c] : commands()) std::printf("  %-12s %s\n", name.c_str(), c.summary.c_str());
  };
  if (argc < 2 || std::string(argv[1]) == "help" || std::string(argv[1]) == "--help") {
    usage();
    return argc < 2 ? 2 : 0;
  }
  auto it = commands().find(argv[1]);
  if (it == commands().end()) {
    std::fprintf(stderr, "specnet: unknown command '%s'\n", argv[1]);
    usage();
    return 2;
  }
  try {
    (void)specnet::num_threads();  // a malformed SPECNET_NUM_THREADS fails here, before any work
    return it->second.run(Args(argv + 2, argv + argc));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "specnet %s: error: %s\n", argv[1], e.what());
    return 1;
  }
}
