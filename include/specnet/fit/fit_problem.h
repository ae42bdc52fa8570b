// One spectrum prepared for fitting, as XSPEC's data + response + ignore/group state: a CompositeModel's free
// parameters -> photons -> RMF x ARF -> counts/s per fitted bin (channels or min-count groups in an energy range).
#pragma once
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "specnet/fit/statistic.h"
#include "specnet/io/grouping.h"
#include "specnet/io/response.h"
#include "specnet/sim/composite_model.h"

namespace specnet::fit {

// How the channel data become fitted bins. Per-channel vectors are (H) or empty.
struct SpectrumOptions {
  Statistic statistic = Statistic::cstat;
  double e_min_kev = 0;  // keep channels whose nominal [E_min, E_max) lies inside [e_min, e_max] (XSPEC `ignore`)
  double e_max_kev = std::numeric_limits<double>::infinity();
  // Grouping of the kept channels into fitted bins. min_counts or background_min_counts (at most one > 0) regroup as
  // grppha / ftgrouppha do; otherwise `grouping`, the file's OGIP GROUPING column, is used as XSPEC uses it, and
  // without it every channel is a bin. A group is fitted only when all its channels are kept (QUALITY 0, inside the
  // energy range): a file's group that straddles e_min_kev or e_max_kev is dropped whole.
  double min_counts = 0;             // > 0: >= min_counts source counts per bin (grppha `group min`)
  double background_min_counts = 0;  // > 0: >= this many background_counts per bin (ftgrouppha grouptype=bmin): the
                                     // grouping PG-stat and W-stat need when the background file is sparse
  std::vector<int> grouping;         // (H) or empty: OGIP GROUPING (+1 starts a group, -1 continues, 0 alone)
  std::vector<int> quality;               // (H) OGIP QUALITY, != 0 excluded
  std::vector<double> stat_err;           // (H) chi2 source errors (counts)
  std::vector<double> background_counts;  // (H) background spectrum counts (wstat, pgstat, optional for chi2)
  std::vector<double> background_err;     // (H) background errors (counts) for pgstat / chi2
  double background_exposure_s = 0;       // t_b in source-region units (exposure_b AREASCAL_b BACKSCAL_b / BACKSCAL_s)
  std::vector<double> background_rate;    // (H) fixed background model, counts/s in the source region (added)
  // K additive background components (K x (H), counts/s in the source region) with fixed shapes whose scale
  // factors are fitted jointly with the source (XSPEC: background model components with their norms free
  // within +-10%, as the IC paper fits nuskybgd); each factor starts at 1 and is bounded to [scale_min, scale_max].
  std::vector<std::vector<double>> background_components;
  std::vector<std::string> background_component_names;  // (K) or empty -> "bkg_1" ... "bkg_K"
  double background_scale_min = 0.9, background_scale_max = 1.1;
};

// One fitted parameter of a FitProblem: a free model parameter or a background scale factor.
struct FreeParameter {
  std::string name;  // model parameter name, or "bkgscale_<component name>"
  double hard_min = 0, hard_max = 0, soft_min = 0, soft_max = 0;
  bool is_norm = false;  // an additive model norm (scaled by XSPEC's renorm)
};

// How a command line asks for the grouping: "file" (the PHA's GROUPING column, as XSPEC; channels when it has
// none), "none", "N" or "min:N" (>= N source counts per bin), "bmin:N" (>= N background counts per bin).
struct GroupingChoice {
  enum class Kind { file, none, min, bmin };
  Kind kind = Kind::file;
  double n = 0;  // the minimum of min / bmin
};
// Errors name the accepted forms. "0" reads as "none" (the old `--group 0`).
GroupingChoice parse_grouping(const std::string& text);
// Sets options' min_counts, background_min_counts and grouping from the choice; file_grouping is the PHA's GROUPING
// column (H, or empty when the file has none). bmin without options.background_counts is an error.
void apply_grouping(const GroupingChoice& choice, const std::vector<int>& file_grouping, SpectrumOptions& options);
// "file", "none", "min:N" or "bmin:N", for reports.
std::string grouping_name(const GroupingChoice& choice);

class FitProblem {
 public:
  // matrix: ungrouped RMF x ARF (outputs = channels, H); counts (H) source counts; exposure_s = t_s. Errors for
  // mismatched lengths, an empty selection, all-zero counts, bad exposures and a model without free parameters.
  FitProblem(sim::CompositeModel model, std::shared_ptr<const io::SparseResponse> matrix,
             const std::vector<double>& counts, double exposure_s, const SpectrumOptions& options = {});

  const FitData& data() const { return data_; }
  sim::CompositeModel& model() { return model_; }
  const sim::CompositeModel& model() const { return model_; }
  std::int64_t num_bins() const { return static_cast<std::int64_t>(data_.counts.size()); }
  std::int64_t num_channels() const { return static_cast<std::int64_t>(bin_of_channel_.size()); }
  // (N) nominal energy range of each fitted bin (keV).
  const std::vector<double>& bin_e_min_kev() const { return bin_e_min_; }
  const std::vector<double>& bin_e_max_kev() const { return bin_e_max_; }

  // The fitted parameters: model().free_indices() in order, then the K background scale factors. The "free
  // values" below are in this order (P_model + K).
  std::vector<FreeParameter> free_parameters() const;
  std::int64_t num_free() const;
  std::int64_t num_background_components() const { return static_cast<std::int64_t>(bin_components_.size()); }
  std::vector<double> free_values() const;             // the model's free values then the current scales
  void set_free_values(const std::vector<double>& v);  // sets the model and the scales
  const std::vector<double>& background_scales() const { return scales_; }  // (K)
  // Position of a free model parameter (name or alias) or a background scale ("bkgscale_<name>") among the
  // free values; Error when it is not free.
  int free_index(const std::string& name) const;

  // Total model rate per fitted bin (N, counts/s: source + fixed background + scaled background components)
  // for the free values (free_values() order); leaves model() and the scales at those values. Error for values outside the hard limits
  // or non-finite model output. Not thread-safe (it sets the model): one FitProblem per thread.
  void model_rate(const std::vector<double>& free_values, double* y_rate) const;
  // The statistic for the given free values.
  double statistic(const std::vector<double>& free_values) const;

  // Per-thread evaluation state: the statistic through a Scratch touches nothing shared, so several threads
  // may evaluate one FitProblem at once, each with its own Scratch (the MCMC walkers do).
  struct Scratch {
    sim::CompositeModel model;
    std::vector<double> photons;  // (model energy bins)
    std::vector<double> y;        // (N)
    std::vector<double> model_values;  // (P_model)
  };
  Scratch make_scratch() const;
  double statistic(Scratch& scratch, const std::vector<double>& free_values) const;

 private:
  void fold_model(sim::CompositeModel& model, std::vector<double>& photons, std::vector<double>& model_values,
                  const std::vector<double>& free_values, double* y_rate) const;

  mutable sim::CompositeModel model_;  // its free values are set per evaluation
  std::shared_ptr<const io::SparseResponse> matrix_;
  FitData data_;
  std::vector<std::int64_t> bin_of_channel_;  // (H) fitted bin of each channel, -1 if not used
  std::vector<std::int64_t> used_channels_;   // channels with bin >= 0, ascending
  std::vector<double> bin_background_rate_;   // (N) or empty
  std::vector<double> bin_e_min_, bin_e_max_;  // (N)
  std::int64_t e_first_ = 0, e_count_ = 0;    // model energy bins [e_first, e_first + e_count) that reach them
  std::vector<double> edges_kev_;             // (e_count + 1)
  mutable std::vector<double> photons_;       // (e_count)
  mutable std::vector<double> model_values_;  // (P_model) scratch split of the free values
  std::vector<std::vector<double>> bin_components_;  // (K, N) background component rates
  std::vector<std::string> component_names_;         // (K)
  double scale_min_ = 0.9, scale_max_ = 1.1;
  mutable std::vector<double> scales_;               // (K) current background scale factors
};

}  // namespace specnet::fit
