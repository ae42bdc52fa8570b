// Memory accounting for long jobs (dataset generation, training): the process's peak and current resident set
// size, and the memory budget that streamed writers size their blocks by (SPECNET_MEMORY_BUDGET_MB).
#pragma once
#include <cstdint>

namespace specnet::sim {

// Peak resident set size of this process so far (getrusage ru_maxrss), MiB.
double peak_rss_mb();
// Current resident set size (/proc/self/statm), MiB; 0 where unavailable.
double current_rss_mb();

// Default 512 MiB; SPECNET_MEMORY_BUDGET_MB overrides it (a positive whole number, else an Error).
std::int64_t default_memory_budget_mb();

}  // namespace specnet::sim
