// JSON summary of one `specnet fit` (best fit, 1-sigma errors, 90% intervals, statistic, bins) for scripts that
// compare specnet with other fitting packages (bench/peer); the machine-readable twin of format_fit's table.
#pragma once
#include <cstdint>
#include <string>

#include "specnet/fit/fitter.h"
#include "specnet/fit/statistic.h"

namespace specnet::cli {

// Overwrites `path`; non-finite numbers are written as null. Error when the file cannot be written.
void write_fit_json(const std::string& path, const std::string& model, const fit::FitResult& result,
                    fit::Statistic statistic, std::int64_t bins, double e_min_kev, double e_max_kev);

}  // namespace specnet::cli
