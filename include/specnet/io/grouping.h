// Channel grouping as grppha / ftgrouppha "group min N": consecutive channels are binned until each group
// holds at least N counts (the IC paper uses 100); yields the OGIP GROUPING/QUALITY columns and a map for folding.
#pragma once
#include <cstddef>
#include <vector>

namespace specnet::io {

struct Grouping {
  std::vector<int> grouping;          // (H) OGIP GROUPING: +1 starts a group, -1 continues the previous one
  std::vector<int> quality;           // (H) OGIP QUALITY: input flags, plus 2 on a trailing group below the minimum
  std::vector<int> group_of_channel;  // (H) 0-based group used in fits, -1 for channels with quality != 0
  std::size_t num_groups = 0;         // G: groups used in fits
  std::size_t num_channels() const { return grouping.size(); }
};

// Groups `counts` (H) so that every used group has >= min_counts counts. Channels with input quality != 0
// stay ungrouped (own group, excluded) and close the group being built; a group left below the minimum
// (at the end or before a bad channel) is flagged QUALITY 2 and excluded, as grppha does.
Grouping group_min_counts(const std::vector<double>& counts, double min_counts, const std::vector<int>& quality = {});
// Interprets an existing GROUPING column (0 = channel on its own) with optional QUALITY (!= 0 excluded).
Grouping grouping_from_columns(const std::vector<int>& grouping, const std::vector<int>& quality = {});
// Sums a per-channel vector (H) into the used groups (G): grouped counts for fitting.
std::vector<double> group_sum(const Grouping& g, const std::vector<double>& per_channel);

}  // namespace specnet::io
