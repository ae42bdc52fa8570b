// Strict, locale-independent number parsing for options (specnet CLI, priors, parameter lists, energy grids);
// rejects what strtod/stoll would silently accept or truncate: "12abc", " 1", "0x10", "nan", "1e999".
#include "specnet/io/parse_number.h"

#include <charconv>
#include <cmath>
#include <string>
#include <system_error>

#include "specnet/error.h"

namespace specnet::io {
namespace {

// from_chars refuses a leading '+', which users type ("--seed +1"); strip one (but not "+-1" or "+").
const char* skip_plus(const std::string& text) {
  const char* p = text.data();
  if (text.size() > 1 && p[0] == '+' && p[1] != '-' && p[1] != '+') ++p;
  return p;
}

// The text as messages show it: bytes outside printable ASCII (a NUL would cut the message) as \xHH.
std::string shown(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static const char* hex = "0123456789abcdef";
      out += std::string("\\x") + hex[c >> 4] + hex[c & 15];
    }
  }
  return out;
}

}  // namespace

double parse_finite_double(const std::string& text, const std::string& what) {
  const char* end = text.data() + text.size();
  const char* begin = skip_plus(text);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(begin, end, v, std::chars_format::general);
  const bool whole = !text.empty() && ptr == end;
  SPECNET_CHECK(whole && ec != std::errc::invalid_argument && (ec != std::errc() || std::isfinite(v)), what, ": '",
                shown(text), "' is not a finite number");  // from_chars reads "nan" and "inf"
  SPECNET_CHECK(ec != std::errc::result_out_of_range, what, ": '", shown(text),
                "' is not a finite number (out of the double range)");
  return v;
}

long long parse_integer(const std::string& text, const std::string& what) {
  const char* end = text.data() + text.size();
  const char* begin = skip_plus(text);
  long long v = 0;
  const auto [ptr, ec] = std::from_chars(begin, end, v, 10);
  SPECNET_CHECK(!text.empty() && ptr == end && ec != std::errc::invalid_argument, what, ": '", shown(text),
                "' is not a whole number");
  SPECNET_CHECK(ec != std::errc::result_out_of_range, what, ": '", shown(text), "' is out of range (64-bit integer)");
  return v;
}

}  // namespace specnet::io
