// Reading and writing the safetensors format (huggingface/safetensors): an 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then raw data.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "specnet/tensor.h"

namespace specnet {

// Writes F32/F64 tensors (any layout; stored row-major) atomically: the data goes to path + ".tmp.<pid>",
// is fsync'ed, then renamed over `path`, so a failure never leaves a partial file. Names must be
// unique, non-empty and not "__metadata__".
void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

struct SafeTensors {
  std::vector<std::pair<std::string, Tensor>> tensors;  // in data-offset order
  std::map<std::string, std::string> metadata;
  const Tensor& get(const std::string& name) const;     // Error naming the missing tensor
  bool contains(const std::string& name) const;
};

// Validates everything (header length, JSON, dtypes, shapes vs offsets, offsets contiguous and covering
// the data exactly, as the reference implementation requires) and throws specnet::Error saying what is
// wrong; never crashes on corrupt input.
SafeTensors load_safetensors(const std::string& path);
// The same from bytes in memory (`what` names the source in messages).
SafeTensors parse_safetensors(const std::string& bytes, const std::string& what = "buffer");

}  // namespace specnet
