// Resident-memory figures from the kernel (getrusage, /proc/self/statm) and the memory budget of streamed
// writers from SPECNET_MEMORY_BUDGET_MB, so that long jobs report and bound what they use.
#include "specnet/sim/resources.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "specnet/error.h"
#include "specnet/io/parse_number.h"

namespace specnet::sim {

double peak_rss_mb() {
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // Linux reports KiB
}

double current_rss_mb() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (!f) return 0;
  long pages_total = 0, pages_resident = 0;
  const int got = std::fscanf(f, "%ld %ld", &pages_total, &pages_resident);
  std::fclose(f);
  if (got != 2) return 0;
  return static_cast<double>(pages_resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

std::int64_t default_memory_budget_mb() {
  const char* env = std::getenv("SPECNET_MEMORY_BUDGET_MB");
  if (!env || !*env) return 512;
  const long long mb = io::parse_integer(env, "SPECNET_MEMORY_BUDGET_MB");
  SPECNET_CHECK(mb > 0, "SPECNET_MEMORY_BUDGET_MB must be > 0 (MiB), got ", mb);
  return mb;
}

}  // namespace specnet::sim
