// Strict number parsing behind CLI options, priors, parameter lists and energy grids (io::parse_finite_double,
// io::parse_integer): whole-string, locale-independent, finite; each rejection names the option and the text.
#include <clocale>
#include <limits>

#include "harness.h"
#include "specnet/io/parse_number.h"

using namespace specnet;
using io::parse_finite_double;
using io::parse_integer;

TEST_CASE("parse_finite_double accepts plain decimal and exponent forms exactly") {
  CHECK(parse_finite_double("1e-3", "x") == 1e-3);
  CHECK(parse_finite_double("+2.5", "x") == 2.5);
  CHECK(parse_finite_double("-7", "x") == -7.0);
  CHECK(parse_finite_double(".5", "x") == 0.5);
  CHECK(parse_finite_double("1.7976931348623157e308", "x") == std::numeric_limits<double>::max());
  // Locale-independent: a decimal-comma locale (when installed) changes nothing.
  const char* old = std::setlocale(LC_NUMERIC, nullptr);
  const std::string saved = old ? old : "C";
  if (std::setlocale(LC_NUMERIC, "de_DE.UTF-8")) {
    CHECK(parse_finite_double("1.5", "x") == 1.5);
    CHECK_THROWS_AS(parse_finite_double("1,5", "x"), Error);
  }
  std::setlocale(LC_NUMERIC, saved.c_str());
}

TEST_CASE("parse_finite_double rejects partial, padded, non-finite and out-of-range text") {
  for (const char* bad : {"", " 1", "1 ", "1e5x", "abc", "0x10", "nan", "inf", "-inf", "+", "+-1", "++1", "1e", "--1",
                          "1,5"}) {
    CAPTURE(bad);
    const std::string expected = std::string("option --exposure: '") + bad + "' is not a finite number";
    CHECK_THROWS_WITH_AS(parse_finite_double(bad, "option --exposure"), doctest::Contains(expected.c_str()), Error);
  }
  CHECK_THROWS_WITH_AS(parse_finite_double("1e999", "v"), doctest::Contains("out of the double range"), Error);
  // Control and non-ASCII bytes are shown escaped, so that a NUL cannot cut the message short.
  CHECK_THROWS_WITH_AS(parse_finite_double(std::string("1\0" "2", 3), "v"),
                       doctest::Contains("v: '1\\x002' is not a finite number"), Error);
  CHECK_THROWS_WITH_AS(parse_integer("\xff", "v"), doctest::Contains("v: '\\xff' is not a whole number"), Error);
}

TEST_CASE("parse_integer accepts whole numbers in 64 bits and nothing else") {
  CHECK(parse_integer("42", "x") == 42);
  CHECK(parse_integer("+3", "x") == 3);
  CHECK(parse_integer("-9223372036854775808", "x") == std::numeric_limits<long long>::min());
  CHECK(parse_integer("9223372036854775807", "x") == std::numeric_limits<long long>::max());
  for (const char* bad : {"", "1e6", "4.0", " 7", "7 ", "0x10", "12abc", "+", "+-1"}) {
    CAPTURE(bad);
    const std::string expected = std::string("option --count: '") + bad + "' is not a whole number";
    CHECK_THROWS_WITH_AS(parse_integer(bad, "option --count"), doctest::Contains(expected.c_str()), Error);
  }
  CHECK_THROWS_WITH_AS(parse_integer("9223372036854775808", "option --seed"),
                       doctest::Contains("'9223372036854775808' is out of range (64-bit integer)"), Error);
}
