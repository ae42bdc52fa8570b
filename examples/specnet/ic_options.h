// Shared option parsing of the IC-search commands (`specnet dataset ic`, `specnet ic ...`, `specnet demo`):
// "lo:hi" ranges and comma-separated integer lists with clear errors.
#pragma once
#include <string>
#include <vector>

#include "command.h"
#include "specnet/ic/dataset.h"
#include "specnet/ic/pipeline.h"

namespace specnet::cli {

// "lo:hi" -> (lo, hi); Error naming the option otherwise.
std::pair<double, double> parse_range(const std::string& key, const std::string& text);

// Option tables with the given defaults (so the demo can shrink them) and their readers.
std::map<std::string, std::string> dataset_option_table(const ic::IcDatasetSizes& sizes);
void read_dataset_options(const Options& opt, ic::IcDatasetSizes& sizes, ic::IcSimulationOptions& sim);
std::map<std::string, std::string> pipeline_option_table(const ic::PipelineOptions& defaults);
void read_pipeline_options(const Options& opt, ic::PipelineOptions& p);

// Prints the metrics table and the report path (the end of `ic run`, `ic report` and `demo`).
void print_ic_summary(const ic::IcResults& r, const std::string& dir);

}  // namespace specnet::cli
