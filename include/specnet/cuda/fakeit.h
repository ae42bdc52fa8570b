// fakeit on the GPU: parameter draws, model evaluation (tbabs x (apec/powerlaw sums)), batched sparse folding,
// background and Poisson counts from the same Philox streams as sim::simulate_block (XSPEC fakeit semantics).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "specnet/sim/composite_model.h"
#include "specnet/sim/fakeit.h"

// Defined only in builds with the CUDA backend (SPECNET_WITH_CUDA).
#ifdef SPECNET_WITH_CUDA
namespace specnet::cuda {

// Spectra per GPU batch by default: enough threads for the per-spectrum Poisson stage to fill an H100/H200,
// at ~100 kB of workspace each (photons, expected counts, counts, apec profiles).
constexpr std::int64_t kFakeitDefaultBatch = 131072;

// Device-resident simulation of one (setup, model, priors): the response, tables and background are uploaded
// once. Spectrum i uses Philox streams (seed, 2i + 1) for its parameters and (seed, 2i) for its counts, so the
// spectra equal sim::simulate_block's (see docs/cuda_fakeit.md for when rounding can make a count differ).
// Work runs on the specnet stream (cuda/runtime.h) with memory from its caching allocator.
// Errors: everything make_fakeit_plan rejects, no GPU, max_batch < 1, CUDA failures, and expected counts that
// are negative or not finite (reported after the launch, as simulate_block reports them).
class FakeitSimulator {
 public:
  FakeitSimulator(const sim::FakeitSetup& setup, const sim::CompositeModel& model,
                  const std::vector<sim::Prior>& priors, std::int64_t max_batch = kFakeitDefaultBatch);
  ~FakeitSimulator();
  FakeitSimulator(const FakeitSimulator&) = delete;
  FakeitSimulator& operator=(const FakeitSimulator&) = delete;

  std::int64_t num_energies() const;  // E
  std::int64_t num_channels() const;  // H
  std::int64_t num_params() const;    // P

  // As sim::simulate_block: spectra [first, first + n) into host counts (n, H) and params (n, P) (may be null).
  void simulate(std::uint64_t seed, std::int64_t first, std::int64_t n, double* counts, double* params);
  // Same into device memory: counts (n, H) int32 and params (n, P) double (may be null), row-major. Returns
  // once the work is done (the result check needs one synchronisation).
  void simulate_device(std::uint64_t seed, std::int64_t first, std::int64_t n, std::int32_t* d_counts,
                       double* d_params);

  // The model and folding stages for given parameters (n, P) (effective values, as simulate returns them):
  // photons (n, E) per model bin and expected counts (n, H) = exposure * AREASCAL * folded + background.
  // Either output may be null. Error for parameters outside their hard limits.
  void expected(const double* params, std::int64_t n, double* photons, double* expected_counts);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-shot form of FakeitSimulator::simulate, with the same inputs as sim::simulate_block.
void simulate_block_cuda(const sim::FakeitSetup& setup, const sim::CompositeModel& model,
                         const std::vector<sim::Prior>& priors, std::uint64_t seed, std::int64_t first,
                         std::int64_t n, double* counts, double* params);

namespace detail {
// The kernels' per-thread code (parameter draws, model, tiled fold phases, Poisson) run on the CPU in kernel
// order, so that machines without a GPU test the device arithmetic against simulate_block. Same results as
// simulate_block_cuda; slow (single-threaded), for tests only.
void emulate_simulate_block(const sim::FakeitSetup& setup, const sim::CompositeModel& model,
                            const std::vector<sim::Prior>& priors, std::uint64_t seed, std::int64_t first,
                            std::int64_t n, double* counts, double* params);
// FakeitSimulator(setup, model, {}).expected(params, n, photons, expected_counts) the same way (no limit checks).
void emulate_expected(const sim::FakeitSetup& setup, const sim::CompositeModel& model, const double* params,
                      std::int64_t n, double* photons, double* expected_counts);
}  // namespace detail

}  // namespace specnet::cuda
#endif  // SPECNET_WITH_CUDA
