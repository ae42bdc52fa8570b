// FitProblem: XSPEC-style ignore (energy range, QUALITY) and grppha-style grouping of one spectrum, and the model
// folded through RMF x ARF into counts/s per fitted bin; additive-only models are evaluated on the energy sub-grid
// that reaches the fitted channels (XSPEC evaluates the whole grid; bins outside contribute nothing).
#include "specnet/fit/fit_problem.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "specnet/error.h"
#include "specnet/sim/model.h"

namespace specnet::fit {
namespace {

bool has_convolution(const sim::CompositeModel& model) {
  for (const std::string& c : model.component_names()) {
    const std::string name = c.substr(0, c.rfind('_'));
    if (sim::find_model(name).kind == sim::ModelKind::convolution) return true;
  }
  return false;
}

void check_channel_vector(const std::vector<double>& v, std::size_t H, const char* what) {
  SPECNET_CHECK(v.empty() || v.size() == H, "fit: ", what, " has ", v.size(), " channels, the response has ", H);
}

}  // namespace

GroupingChoice parse_grouping(const std::string& text) {
  GroupingChoice c;
  const auto number = [&](const std::string& v) {
    char* end = nullptr;
    const double n = std::strtod(v.c_str(), &end);
    SPECNET_CHECK(!v.empty() && end == v.c_str() + v.size() && std::isfinite(n) && n > 0, "grouping '", text,
                  "': the minimum must be a number > 0 (forms: file, none, N, min:N, bmin:N)");
    return n;
  };
  if (text == "file") return c;
  if (text == "none" || text == "0") {
    c.kind = GroupingChoice::Kind::none;
  } else if (text.rfind("bmin:", 0) == 0) {
    c.kind = GroupingChoice::Kind::bmin;
    c.n = number(text.substr(5));
  } else {
    c.kind = GroupingChoice::Kind::min;
    c.n = number(text.rfind("min:", 0) == 0 ? text.substr(4) : text);
  }
  return c;
}

void apply_grouping(const GroupingChoice& choice, const std::vector<int>& file_grouping, SpectrumOptions& options) {
  options.min_counts = choice.kind == GroupingChoice::Kind::min ? choice.n : 0;
  options.background_min_counts = choice.kind == GroupingChoice::Kind::bmin ? choice.n : 0;
  options.grouping = choice.kind == GroupingChoice::Kind::file ? file_grouping : std::vector<int>{};
  SPECNET_CHECK(choice.kind != GroupingChoice::Kind::bmin || !options.background_counts.empty(),
                "grouping bmin:", choice.n, " groups by background counts, but there is no background spectrum");
}

std::string grouping_name(const GroupingChoice& choice) {
  switch (choice.kind) {
    case GroupingChoice::Kind::file: return "file";
    case GroupingChoice::Kind::none: return "none";
    case GroupingChoice::Kind::min: return str("min:", choice.n);
    case GroupingChoice::Kind::bmin: return str("bmin:", choice.n);
  }
  return "";
}

FitProblem::FitProblem(sim::CompositeModel model, std::shared_ptr<const io::SparseResponse> matrix,
                       const std::vector<double>& counts, double exposure_s, const SpectrumOptions& opt)
    : model_(std::move(model)), matrix_(std::move(matrix)) {
  SPECNET_CHECK(matrix_ != nullptr, "fit: null response matrix");
  const std::size_t H = matrix_->num_outputs();
  SPECNET_CHECK(!counts.empty(), "fit: empty spectrum");
  SPECNET_CHECK(counts.size() == H, "fit: spectrum has ", counts.size(), " channels, the response has ", H);
  SPECNET_CHECK(!model_.free_indices().empty(), "fit: every parameter of '", model_.expression(),
                "' is frozen or linked; nothing to fit");
  SPECNET_CHECK(opt.e_min_kev < opt.e_max_kev && !std::isnan(opt.e_min_kev) && !std::isnan(opt.e_max_kev),
                "fit: bad energy range [", opt.e_min_kev, ", ", opt.e_max_kev, "] keV");
  SPECNET_CHECK(std::isfinite(opt.min_counts) && opt.min_counts >= 0, "fit: min_counts must be >= 0, got ",
                opt.min_counts);
  SPECNET_CHECK(std::isfinite(opt.background_min_counts) && opt.background_min_counts >= 0,
                "fit: background_min_counts must be >= 0, got ", opt.background_min_counts);
  SPECNET_CHECK(opt.min_counts == 0 || opt.background_min_counts == 0, "fit: group by source counts (min_counts ",
                opt.min_counts, ") or by background counts (background_min_counts ", opt.background_min_counts,
                "), not both");
  SPECNET_CHECK(opt.background_min_counts == 0 || !opt.background_counts.empty(),
                "fit: grouping by background counts needs background_counts");
  SPECNET_CHECK(opt.grouping.empty() || opt.grouping.size() == H, "fit: grouping has ", opt.grouping.size(),
                " channels, the response has ", H);
  SPECNET_CHECK(opt.quality.empty() || opt.quality.size() == H, "fit: quality has ", opt.quality.size(),
                " channels, the response has ", H);
  check_channel_vector(opt.stat_err, H, "stat_err");
  check_channel_vector(opt.background_counts, H, "background_counts");
  check_channel_vector(opt.background_err, H, "background_err");
  check_channel_vector(opt.background_rate, H, "background_rate");
  const std::size_t K = opt.background_components.size();
  SPECNET_CHECK(opt.background_component_names.empty() || opt.background_component_names.size() == K, "fit: ",
                opt.background_component_names.size(), " background component names for ", K, " components");
  SPECNET_CHECK(K == 0 || (std::isfinite(opt.background_scale_min) && std::isfinite(opt.background_scale_max) &&
                           opt.background_scale_min >= 0 && opt.background_scale_min <= 1 &&
                           opt.background_scale_max >= 1),
                "fit: background scale bounds [", opt.background_scale_min, ", ", opt.background_scale_max,
                "] must be finite, >= 0 and contain 1");
  for (std::size_t k = 0; k < K; ++k) {
    const std::vector<double>& c = opt.background_components[k];
    SPECNET_CHECK(c.size() == H, "fit: background component ", k, " has ", c.size(), " channels, the response has ",
                  H);
    for (std::size_t h = 0; h < H; ++h)
      SPECNET_CHECK(std::isfinite(c[h]) && c[h] >= 0, "fit: background component ", k, " rate in channel ", h,
                    " must be finite and >= 0, got ", c[h]);
  }
  for (std::size_t h = 0; h < H; ++h)
    SPECNET_CHECK(std::isfinite(counts[h]) && counts[h] >= 0, "fit: counts in channel ", h,
                  " must be finite and >= 0, got ", counts[h]);

  // Ignore: bad quality and channels outside the energy range; then group what is left.
  std::vector<int> quality(H, 0);
  for (std::size_t h = 0; h < H; ++h) {
    const bool in_range = matrix_->output_e_min_kev[h] >= opt.e_min_kev && matrix_->output_e_max_kev[h] <= opt.e_max_kev;
    quality[h] = (!opt.quality.empty() && opt.quality[h] != 0) || !in_range ? 1 : 0;
  }
  double total = 0;
  std::size_t kept = 0;
  for (std::size_t h = 0; h < H; ++h) {
    total += quality[h] == 0 ? counts[h] : 0.0;
    kept += quality[h] == 0;
  }
  SPECNET_CHECK(kept > 0, "fit: no channels left to fit in [", opt.e_min_kev, ", ", opt.e_max_kev,
                "] keV (after QUALITY)");
  SPECNET_CHECK(total > 0 || opt.statistic == Statistic::chi2, "fit: every fitted channel has zero counts; a ",
                statistic_name(opt.statistic), " fit has nothing to constrain");
  io::Grouping g;
  if (opt.min_counts > 0) {
    g = io::group_min_counts(counts, opt.min_counts, quality);
  } else if (opt.background_min_counts > 0) {
    g = io::group_min_counts(opt.background_counts, opt.background_min_counts, quality);
  } else {
    g = io::grouping_from_columns(opt.grouping.empty() ? std::vector<int>(H, 1) : opt.grouping, quality);
  }
  bin_of_channel_.assign(g.group_of_channel.begin(), g.group_of_channel.end());
  const std::size_t N = g.num_groups;
  SPECNET_CHECK(N > 0, "fit: no channels left to fit in [", opt.e_min_kev, ", ", opt.e_max_kev,
                "] keV (after QUALITY and grouping)");

  data_.statistic = opt.statistic;
  data_.exposure_s = exposure_s;
  data_.counts = io::group_sum(g, counts);
  if (!opt.background_counts.empty()) {
    data_.background_counts = io::group_sum(g, opt.background_counts);
    data_.background_exposure_s = opt.background_exposure_s;
  }
  auto group_quadrature = [&](const std::vector<double>& err) {
    std::vector<double> sq(H);
    for (std::size_t h = 0; h < H; ++h) sq[h] = err[h] * err[h];
    std::vector<double> out = io::group_sum(g, sq);
    for (double& v : out) v = std::sqrt(v);
    return out;
  };
  if (!opt.stat_err.empty()) data_.stat_err = group_quadrature(opt.stat_err);
  if (!opt.background_err.empty()) data_.background_err = group_quadrature(opt.background_err);
  if (!opt.background_rate.empty()) bin_background_rate_ = io::group_sum(g, opt.background_rate);
  for (std::size_t k = 0; k < K; ++k) {
    bin_components_.push_back(io::group_sum(g, opt.background_components[k]));
    component_names_.push_back(opt.background_component_names.empty() ? str("bkg_", k + 1)
                                                                      : opt.background_component_names[k]);
  }
  scale_min_ = opt.background_scale_min;
  scale_max_ = opt.background_scale_max;
  scales_.assign(K, 1.0);
  check_fit_data(data_);

  // Fitted bins' energy ranges and the model energy bins that reach them.
  bin_e_min_.assign(N, std::numeric_limits<double>::infinity());
  bin_e_max_.assign(N, -std::numeric_limits<double>::infinity());
  std::int64_t lo = static_cast<std::int64_t>(matrix_->num_energies()), hi = -1;
  for (std::size_t h = 0; h < H; ++h) {
    const std::int64_t b = bin_of_channel_[h];
    if (b < 0) continue;
    used_channels_.push_back(static_cast<std::int64_t>(h));
    bin_e_min_[b] = std::min(bin_e_min_[b], matrix_->output_e_min_kev[h]);
    bin_e_max_[b] = std::max(bin_e_max_[b], matrix_->output_e_max_kev[h]);
    for (std::int64_t k = matrix_->row_start[h]; k < matrix_->row_start[h + 1]; ++k) {
      lo = std::min<std::int64_t>(lo, matrix_->energy_index[k]);
      hi = std::max<std::int64_t>(hi, matrix_->energy_index[k]);
    }
  }
  SPECNET_CHECK(hi >= lo, "fit: the response has no entries for the fitted channels");
  if (has_convolution(model_)) {  // convolutions move flux between bins: evaluate the whole grid
    lo = 0;
    hi = static_cast<std::int64_t>(matrix_->num_energies()) - 1;
  }
  e_first_ = lo;
  e_count_ = hi - lo + 1;
  edges_kev_.resize(e_count_ + 1);
  for (std::int64_t e = 0; e < e_count_; ++e) edges_kev_[e] = matrix_->energy_lo_kev[lo + e];
  edges_kev_[e_count_] = matrix_->energy_hi_kev[hi];
  photons_.resize(e_count_);
}

std::vector<FreeParameter> FitProblem::free_parameters() const {
  std::vector<FreeParameter> out;
  const auto& params = model_.params();
  const auto names = model_.param_names();
  for (std::int64_t i : model_.free_indices()) {
    const sim::ModelParameter& mp = params[i];
    out.push_back({names[i], mp.spec->hard_min, mp.spec->hard_max, mp.spec->soft_min, mp.spec->soft_max,
                   mp.spec->name == "norm"});
  }
  for (const std::string& c : component_names_)
    out.push_back({"bkgscale_" + c, scale_min_, scale_max_, scale_min_, scale_max_, false});
  return out;
}

std::int64_t FitProblem::num_free() const {
  return static_cast<std::int64_t>(model_.free_indices().size()) + num_background_components();
}

std::vector<double> FitProblem::free_values() const {
  std::vector<double> v = model_.free_values();
  v.insert(v.end(), scales_.begin(), scales_.end());
  return v;
}

void FitProblem::set_free_values(const std::vector<double>& v) {
  SPECNET_CHECK(static_cast<std::int64_t>(v.size()) == num_free(), "fit: ", v.size(), " free values for ",
                num_free(), " free parameters");
  const std::size_t P = v.size() - scales_.size();
  model_.set_free_values(std::vector<double>(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(P)));
  std::copy(v.begin() + static_cast<std::ptrdiff_t>(P), v.end(), scales_.begin());
}

int FitProblem::free_index(const std::string& name) const {
  for (std::size_t k = 0; k < component_names_.size(); ++k)
    if (name == "bkgscale_" + component_names_[k])
      return static_cast<int>(model_.free_indices().size() + k);
  const auto free = model_.free_indices();
  const std::int64_t idx = model_.param_index(name);
  const auto it = std::find(free.begin(), free.end(), idx);
  SPECNET_CHECK(it != free.end(), "fit: parameter '", name, "' is not free (frozen or linked)");
  return static_cast<int>(it - free.begin());
}

void FitProblem::model_rate(const std::vector<double>& free_values, double* y) const {
  fold_model(model_, photons_, model_values_, free_values, y);
}

void FitProblem::fold_model(sim::CompositeModel& model, std::vector<double>& photons,
                            std::vector<double>& model_values, const std::vector<double>& free_values,
                            double* y) const {
  const std::size_t K = bin_components_.size();
  SPECNET_CHECK(free_values.size() >= K, "fit: ", free_values.size(), " free values for ", K,
                " background scales and the model");
  const std::size_t P = free_values.size() - K;
  for (std::size_t k = 0; k < K; ++k) {
    const double s = free_values[P + k];
    SPECNET_CHECK(s >= scale_min_ && s <= scale_max_, "fit: background scale ", component_names_[k], " = ", s,
                  " outside [", scale_min_, ", ", scale_max_, "]");
  }
  model_values.assign(free_values.begin(), free_values.begin() + static_cast<std::ptrdiff_t>(P));
  model.set_free_values(model_values);
  photons.resize(e_count_);
  model.evaluate(edges_kev_.data(), e_count_, photons.data());
  const std::size_t N = data_.counts.size();
  std::fill(y, y + N, 0.0);
  const io::SparseResponse& m = *matrix_;
  for (std::int64_t h : used_channels_) {
    double acc = 0;
    for (std::int64_t k = m.row_start[h]; k < m.row_start[h + 1]; ++k)
      acc += m.value[k] * photons[m.energy_index[k] - e_first_];
    y[bin_of_channel_[h]] += acc;
  }
  for (std::size_t k = 0; k < K; ++k) {
    const double s = free_values[P + k];
    for (std::size_t i = 0; i < N; ++i) y[i] += s * bin_components_[k][i];
  }
  if (&model == &model_) std::copy(free_values.begin() + static_cast<std::ptrdiff_t>(P), free_values.end(),
                                   scales_.begin());
  for (std::size_t i = 0; i < N; ++i) {
    if (!bin_background_rate_.empty()) y[i] += bin_background_rate_[i];
    SPECNET_CHECK(std::isfinite(y[i]), "fit: model '", model.expression(), "' gives a non-finite rate in bin ", i,
                  " [", bin_e_min_[i], ", ", bin_e_max_[i], "] keV");
    if (y[i] < 0) y[i] = 0;  // round-off of negative-free models; the statistic floors the counts
  }
}

double FitProblem::statistic(const std::vector<double>& free_values) const {
  std::vector<double> y(data_.counts.size());
  model_rate(free_values, y.data());
  return evaluate_statistic(data_, y.data());
}

FitProblem::Scratch FitProblem::make_scratch() const { return Scratch{model_, {}, {}, {}}; }

double FitProblem::statistic(Scratch& scratch, const std::vector<double>& free_values) const {
  scratch.y.resize(data_.counts.size());
  fold_model(scratch.model, scratch.photons, scratch.model_values, free_values, scratch.y.data());
  return evaluate_statistic(data_, scratch.y.data());
}

}  // namespace specnet::fit
