// A small strict JSON (RFC 8259) reader and string escaper for file headers (safetensors). Numbers keep
// their text so that 64-bit offsets are read exactly; nesting depth is capped so hostile input cannot
// overflow the stack. Every malformed input throws specnet::Error with the byte position.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace specnet::io::json {

struct Value {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  std::string text;                                   // string value, or the number's literal text
  std::vector<Value> items;                           // array
  std::vector<std::pair<std::string, Value>> members;  // object, in document order, keys unique

  const char* kind_name() const;
  // Exact non-negative integer (digits only, fits in 64 bits); `what` names the field for the error.
  std::uint64_t as_u64(const std::string& what) const;
};

// Parses a whole document; trailing whitespace allowed, anything else after the value is an error.
Value parse(const std::string& text, int max_depth = 64);

// "..." with JSON escapes (quotes, backslash, control characters as \u00XX).
std::string quote(const std::string& s);

}  // namespace specnet::io::json
