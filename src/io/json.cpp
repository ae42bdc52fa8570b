// Recursive-descent JSON reader (RFC 8259 grammar, \u escapes with surrogate pairs to UTF-8, duplicate
// keys rejected) used by the safetensors loader; written here to avoid a dependency.
#include "json.h"

#include <limits>
#include <set>

#include "specnet/error.h"

namespace specnet::io::json {

const char* Value::kind_name() const {
  switch (kind) {
    case Kind::null: return "null";
    case Kind::boolean: return "a boolean";
    case Kind::number: return "a number";
    case Kind::string: return "a string";
    case Kind::array: return "an array";
    case Kind::object: return "an object";
  }
  return "?";
}

std::uint64_t Value::as_u64(const std::string& what) const {
  SPECNET_CHECK(kind == Kind::number, what, " must be a non-negative integer, got ", kind_name());
  std::uint64_t v = 0;
  for (char c : text) {
    SPECNET_CHECK(c >= '0' && c <= '9', what, " must be a non-negative integer, got ", text);
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    SPECNET_CHECK(v <= (std::numeric_limits<std::uint64_t>::max() - d) / 10, what, " = ", text,
                  " does not fit in 64 bits");
    v = v * 10 + d;
  }
  return v;
}

namespace {

class Parser {
 public:
  Parser(const std::string& s, int max_depth) : s_(s), max_depth_(max_depth) {}

  Value document() {
    Value v = value(0);
    ws();
    if (pos_ != s_.size()) fail("unexpected trailing characters");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(str("invalid JSON at byte ", pos_, ": ", what));
  }
  void ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r')) ++pos_;
  }
  char peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool at_end() const { return pos_ >= s_.size(); }
  void expect(char c) {
    if (at_end() || s_[pos_] != c) fail(str("expected '", c, "'"));
    ++pos_;
  }
  void literal(const char* word) {
    for (const char* p = word; *p; ++p) {
      if (at_end() || s_[pos_] != *p) fail(str("invalid literal (expected '", word, "')"));
      ++pos_;
    }
  }

  Value value(int depth) {
    if (depth > max_depth_) fail(str("nesting deeper than ", max_depth_));
    ws();
    if (at_end()) fail("unexpected end of input");
    Value v;
    switch (peek()) {
      case '{': object(v, depth); break;
      case '[': array(v, depth); break;
      case '"': v.kind = Value::Kind::string; v.text = string(); break;
      case 't': literal("true"); v.kind = Value::Kind::boolean; v.boolean = true; break;
      case 'f': literal("false"); v.kind = Value::Kind::boolean; break;
      case 'n': literal("null"); break;
      default: v.kind = Value::Kind::number; v.text = number(); break;
    }
    return v;
  }

  void object(Value& v, int depth) {
    v.kind = Value::Kind::object;
    expect('{');
    ws();
    if (peek() == '}') { ++pos_; return; }
    std::set<std::string> keys;
    while (true) {
      ws();
      if (peek() != '"') fail("expected a string key");
      std::string key = string();
      if (!keys.insert(key).second) fail(str("duplicate key \"", key, "\""));
      ws();
      expect(':');
      v.members.emplace_back(std::move(key), value(depth + 1));
      ws();
      if (peek() == ',') { ++pos_; continue; }
      expect('}');
      return;
    }
  }

  void array(Value& v, int depth) {
    v.kind = Value::Kind::array;
    expect('[');
    ws();
    if (peek() == ']') { ++pos_; return; }
    while (true) {
      v.items.push_back(value(depth + 1));
      ws();
      if (peek() == ',') { ++pos_; continue; }
      expect(']');
      return;
    }
  }

  unsigned hex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    unsigned u = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      u <<= 4;
      if (c >= '0' && c <= '9') u |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') u |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') u |= static_cast<unsigned>(c - 'A' + 10);
      else fail("invalid hex digit in \\u escape");
    }
    return u;
  }

  static void utf8(std::string& out, unsigned cp) {
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  std::string string() {
    expect('"');
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated string");
      const char c = s_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') { out += c; continue; }
      if (at_end()) fail("unterminated escape");
      const char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // high surrogate: a low one must follow
            if (pos_ + 2 > s_.size() || s_[pos_] != '\\' || s_[pos_ + 1] != 'u') fail("unpaired surrogate");
            pos_ += 2;
            const unsigned lo = hex4();
            if (lo < 0xDC00 || lo > 0xDFFF) fail("invalid low surrogate");
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            fail("unpaired low surrogate");
          }
          utf8(out, cp);
          break;
        }
        default: fail(str("invalid escape '\\", e, "'"));
      }
    }
  }

  std::string number() {
    const std::size_t start = pos_;
    auto digits = [&] {
      const std::size_t d0 = pos_;
      while (!at_end() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
      return pos_ - d0;
    };
    if (peek() == '-') ++pos_;
    if (peek() == '0') {
      ++pos_;
    } else if (digits() == 0) {
      fail("invalid value");
    }
    if (peek() == '.') {
      ++pos_;
      if (digits() == 0) fail("digits expected after '.'");
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (digits() == 0) fail("digits expected in exponent");
    }
    return s_.substr(start, pos_ - start);
  }

  const std::string& s_;
  int max_depth_;
  std::size_t pos_ = 0;
};

}  // namespace

Value parse(const std::string& text, int max_depth) { return Parser(text, max_depth).document(); }

std::string quote(const std::string& s) {
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (char c : s) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (c == '"') out += "\\\"";
    else if (c == '\\') out += "\\\\";
    else if (u < 0x20) out += std::string("\\u00") + hex[u >> 4] + hex[u & 15];
    else out += c;
  }
  return out + "\"";
}

}  // namespace specnet::io::json
