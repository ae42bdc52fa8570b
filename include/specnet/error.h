// specnet::Error and the SPECNET_CHECK macro: every bad input becomes an exception with a message
// that names the problem (never an abort, never silent garbage).
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace specnet {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

namespace detail {
inline void format_into(std::ostringstream&) {}
template <typename A, typename... R>
void format_into(std::ostringstream& os, const A& a, const R&... r) {
  os << a;
  format_into(os, r...);
}
}  // namespace detail

// str("shape ", 3, " != ", 4) -> "shape 3 != 4"
template <typename... A>
std::string str(const A&... a) {
  std::ostringstream os;
  detail::format_into(os, a...);
  return os.str();
}

}  // namespace specnet

// SPECNET_CHECK(cond, "message parts", ...) throws specnet::Error when cond is false.
#define SPECNET_CHECK(cond, ...)                                         \
  do {                                                                   \
    if (!(cond)) throw ::specnet::Error(::specnet::str(__VA_ARGS__));    \
  } while (0)
