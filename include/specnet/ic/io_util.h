// Small file helpers of the IC report: whole-file text writes (atomic: temporary file + rename) and JSON numbers.
#pragma once
#include <string>

namespace specnet::ic {

void write_text_file(const std::string& path, const std::string& text);  // Error when it cannot be written
std::string json_number(double v);  // shortest round-trip text; NaN / inf as null (JSON has no such numbers)

}  // namespace specnet::ic
