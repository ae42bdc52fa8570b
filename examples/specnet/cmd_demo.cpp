// `specnet demo`: the main job on embedded defaults: a reduced IC search (small dataset, few epochs, 3 folds)
// end to end - simulate, CV thresholds, CAE and AE, fitting baseline, combined detector - then the metrics
// table and the report path. Full size: `specnet dataset ic` + `specnet ic run` (docs/results-ic.md).
#include <chrono>
#include <cstdio>

#include "command.h"
#include "ic_options.h"
#include "specnet/context.h"

namespace specnet::cli {
namespace {

int run_demo(const Args& args) {
  ic::IcDatasetSizes sizes{600, 300, 150, 150};
  ic::PipelineOptions p;
  p.data_dir = "ic_demo/data";
  p.out_dir = "ic_demo/report";
  p.folds = 3;
  p.cv_epochs = 4;
  p.epochs = 8;
  p.batch = 50;
  p.patience = 3;
  p.fit_limit = 20;
  p.calib_limit = 30;
  p.z_free_scan_steps = 3;
  auto table = dataset_option_table(sizes);
  for (const auto& [k, v] : pipeline_option_table(p))
    if (k != "data" && k != "seed") table[k] = v;
  table["dir"] = "ic_demo|working directory (data/ and report/ inside)";
  Options opt(args, table);
  if (opt.help()) {
    std::printf("specnet demo: a reduced IC search end to end (full size: specnet dataset ic + specnet ic run)\n%s",
                opt.usage().c_str());
    return 0;
  }
  const std::string dir = opt.str("dir");
  ic::IcSimulationOptions sim;
  read_dataset_options(opt, sizes, sim);
  Options popt(
      {"--data", dir + "/data", "--out", dir + "/report", "--folds", opt.str("folds"), "--cv-epochs",
       opt.str("cv-epochs"), "--epochs", opt.str("epochs"), "--batch", opt.str("batch"), "--lr", opt.str("lr"),
       "--patience", opt.str("patience"), "--seed", opt.str("seed"), "--log-input", opt.str("log-input"), "--channels",
       opt.str("channels"), "--hidden", opt.str("hidden"), "--no-ae", opt.str("no-ae"), "--no-fits",
       opt.str("no-fits"), "--fit-limit", opt.str("fit-limit"), "--calib-limit", opt.str("calib-limit"),
       "--z-scan-steps", opt.str("z-scan-steps"), "--fresh", opt.str("fresh")},
      pipeline_option_table(p));
  read_pipeline_options(popt, p);
  const auto t0 = std::chrono::steady_clock::now();
  std::printf("specnet demo: reduced IC search in %s (%d threads)\n", dir.c_str(), num_threads());
  ic::write_ic_dataset(p.data_dir, sizes, sim);
  const ic::IcResults r = ic::run_ic_pipeline(p);
  print_ic_summary(r, p.out_dir);
  std::printf("demo wall time %.1f s\n", std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return 0;
}

RegisterCommand reg{{"demo", "a reduced IC search end to end (dataset, CAE, AE, fits, report)", run_demo}};

}  // namespace
}  // namespace specnet::cli
