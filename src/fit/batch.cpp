// Batch fits over a PHA Type II dataset: one FitProblem per spectrum in parallel_for chunks (results never depend
// on threads), progress lines as the fakeit dataset writer prints them, and a CSV of the results.
#include "specnet/fit/batch.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <limits>
#include <mutex>

#include "specnet/context.h"
#include "specnet/error.h"

namespace specnet::fit {

std::vector<FitResult> fit_dataset(const io::SpectrumSet& set, const sim::CompositeModel& model,
                                   std::shared_ptr<const io::SparseResponse> matrix, const SpectrumOptions& spectrum,
                                   const FitOptions& options, const BatchOptions& batch) {
  SPECNET_CHECK(matrix != nullptr, "fit_dataset: null response matrix");
  const std::int64_t S = static_cast<std::int64_t>(set.num_spectra());
  SPECNET_CHECK(batch.first >= 0 && batch.first < S, "fit_dataset: first spectrum ", batch.first,
                " outside the dataset's ", S, " spectra");
  const std::int64_t n = batch.count < 0 ? S - batch.first : batch.count;
  SPECNET_CHECK(n >= 1 && batch.first + n <= S, "fit_dataset: spectra [", batch.first, ", ", batch.first + n,
                ") outside the dataset's ", S);
  SPECNET_CHECK(batch.chunk >= 1, "fit_dataset: chunk must be >= 1");
  const std::size_t H = set.num_channels;
  SPECNET_CHECK(H == matrix->num_outputs(), "fit_dataset: the dataset has ", H, " channels, the response ",
                matrix->num_outputs());
  std::vector<FitResult> results(n);
  std::atomic<std::int64_t> done{0};
  std::mutex print;
  const auto t0 = std::chrono::steady_clock::now();
  parallel_for(n, batch.chunk, [&](std::int64_t b, std::int64_t e) {
    for (std::int64_t k = b; k < e; ++k) {
      const std::size_t row = static_cast<std::size_t>(batch.first + k);
      const double t = set.exposure_s[row];
      std::vector<double> counts(set.counts.begin() + row * H, set.counts.begin() + (row + 1) * H);
      if (set.header.is_rate)
        for (double& c : counts) c *= t;
      try {
        FitProblem problem(model, matrix, counts, t, spectrum);
        results[k] = fit_model(problem, options);
      } catch (const Error& err) {
        results[k].converged = false;
        results[k].statistic = std::numeric_limits<double>::quiet_NaN();
        results[k].message = str("spectrum ", set.spec_num[row], ": ", err.what());
      }
      const std::int64_t d = ++done;
      if (batch.progress && (d % 100 == 0 || d == n)) {
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        std::lock_guard<std::mutex> lock(print);
        std::fprintf(stderr, "fit: %lld/%lld spectra, %.1f fits/s, ETA %.0f s\n", static_cast<long long>(d),
                     static_cast<long long>(n), d / s, (n - d) * s / d);
      }
    }
  });
  return results;
}

void write_fit_csv(const std::string& path, const io::SpectrumSet& set, std::int64_t first,
                   const std::vector<FitResult>& results) {
  std::ofstream out(path);
  SPECNET_CHECK(out.good(), "write_fit_csv: cannot open '", path, "' for writing");
  SPECNET_CHECK(first >= 0 && first + static_cast<std::int64_t>(results.size()) <= static_cast<std::int64_t>(set.num_spectra()),
                "write_fit_csv: results do not match the dataset rows");
  // Column layout from the first result that has parameter names (a failed spectrum may have none).
  const FitResult* proto = nullptr;
  for (const FitResult& r : results)
    if (!r.names.empty()) {
      proto = &r;
      break;
    }
  out << "spec_num,converged,iterations,statistic,dof,reduced";
  if (proto) {
    for (const std::string& name : proto->names) out << ',' << name << ',' << name << "_err";
    for (const Interval& iv : proto->intervals) out << ',' << iv.name << "_lo," << iv.name << "_hi";
  }
  for (const std::string& name : set.params.names) out << ",true_" << name;
  out << '\n' << std::setprecision(10);
  const std::size_t P = set.params.num_params();
  for (std::size_t k = 0; k < results.size(); ++k) {
    const FitResult& r = results[k];
    const std::size_t row = static_cast<std::size_t>(first) + k;
    out << set.spec_num[row] << ',' << (r.converged ? 1 : 0) << ',' << r.iterations << ',' << r.statistic << ','
        << r.dof << ',' << r.reduced;
    if (proto) {
      const bool has = r.names.size() == proto->names.size();
      for (std::size_t j = 0; j < proto->names.size(); ++j)
        out << ',' << (has ? r.values[j] : NAN) << ',' << (has ? r.errors[j] : NAN);
      for (std::size_t j = 0; j < proto->intervals.size(); ++j) {
        const bool hv = r.intervals.size() == proto->intervals.size();
        out << ',' << (hv ? r.intervals[j].lo : NAN) << ',' << (hv ? r.intervals[j].hi : NAN);
      }
    }
    for (std::size_t j = 0; j < P && row < set.params.num_rows(); ++j) out << ',' << set.params.values[row * P + j];
    out << '\n';
  }
  SPECNET_CHECK(out.good(), "write_fit_csv: write to '", path, "' failed");
}

}  // namespace specnet::fit
