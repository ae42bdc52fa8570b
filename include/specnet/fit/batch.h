// Batch fitting of a PHA Type II dataset (XSPEC's `data 1:1 file{1-n}` + fit per spectrum, scripted): every
// spectrum fitted independently in parallel over fixed chunks, progress on stderr, results as CSV.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "specnet/fit/fitter.h"
#include "specnet/io/pha2.h"

namespace specnet::fit {

struct BatchOptions {
  std::int64_t first = 0;   // spectra [first, first + count) of the dataset
  std::int64_t count = -1;  // -1: to the end
  std::int64_t chunk = 4;   // spectra per parallel_for chunk
  bool progress = true;     // "fitted k/n, rate, ETA" lines on stderr
};

// Fits `model` (start values as set on it) to each selected spectrum. Every spectrum's fit starts from the same
// values, so the results do not depend on the thread count. A spectrum that cannot be set up (e.g. all zero
// counts) gets converged = false and the error in its message rather than stopping the batch. Errors for a
// dataset whose channels differ from the matrix, a RATE dataset without exposures, or a bad range.
std::vector<FitResult> fit_dataset(const io::SpectrumSet& set, const sim::CompositeModel& model,
                                   std::shared_ptr<const io::SparseResponse> matrix, const SpectrumOptions& spectrum,
                                   const FitOptions& options, const BatchOptions& batch = {});

// CSV: spec_num, converged, iterations, statistic, dof, reduced, then per free parameter value, error (and
// lo, hi for parameters with intervals), then the dataset's PARAMS columns (true values) when present.
// `first` is the dataset row of results[0].
void write_fit_csv(const std::string& path, const io::SpectrumSet& set, std::int64_t first,
                   const std::vector<FitResult>& results);

}  // namespace specnet::fit
