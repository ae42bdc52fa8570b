// Strict text -> number parsing for command-line options and option strings ("--exposure 1e4", "kT=1:10"):
// the whole text must be one number, independent of the C locale (std::from_chars), unlike atof/strtod.
#pragma once
#include <string>

namespace specnet::io {

// A finite double ("1e-3", "+2.5", "-7"; no spaces, hex, "nan" or "inf"). Error
// "<what>: '<text>' is not a finite number" otherwise; `what` names the option or field.
double parse_finite_double(const std::string& text, const std::string& what);

// A whole number in [-2^63, 2^63) ("42", "+3"; not "1e3" or "4.0"). Error "<what>: '<text>' is not a whole
// number" or "... is out of range" otherwise.
long long parse_integer(const std::string& text, const std::string& what);

}  // namespace specnet::io
