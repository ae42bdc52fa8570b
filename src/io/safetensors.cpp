// safetensors reader/writer compatible with huggingface/safetensors (same header layout, 8-byte aligned
// header padded with spaces, offsets relative to the data section, contiguous and gap-free).
#include "specnet/io/safetensors.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "json.h"

namespace specnet {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "safetensors I/O assumes a little-endian host");

namespace {

constexpr std::uint64_t kMaxHeaderBytes = 100u << 20;  // the reference implementation's limit

const char* st_dtype(DType t) { return t == DType::f32 ? "F32" : "F64"; }

// safetensors dtypes other than F32/F64: known, but not representable as specnet tensors.
bool known_unsupported(const std::string& d) {
  static const std::set<std::string> k{"BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32",
                                       "I64", "U64", "F8_E5M2", "F8_E4M3", "F8_E8M0", "F6_E2M3", "F6_E3M2",
                                       "F4", "C64"};
  return k.count(d) > 0;
}

struct Entry {
  std::string name;
  DType dtype;
  Shape shape;
  std::uint64_t begin, end;
};

Entry parse_entry(const std::string& name, const io::json::Value& v, const std::string& what) {
  using K = io::json::Value::Kind;
  const std::string where = str(what, ": tensor \"", name, "\"");
  SPECNET_CHECK(v.kind == K::object, where, ": header entry must be an object, got ", v.kind_name());
  const io::json::Value *dt = nullptr, *sh = nullptr, *off = nullptr;
  for (const auto& [k, m] : v.members) {
    if (k == "dtype") dt = &m;
    else if (k == "shape") sh = &m;
    else if (k == "data_offsets") off = &m;
    else throw Error(str(where, ": unknown field \"", k, "\""));
  }
  SPECNET_CHECK(dt && sh && off, where, ": missing field \"", !dt ? "dtype" : !sh ? "shape" : "data_offsets", "\"");
  SPECNET_CHECK(dt->kind == K::string, where, ": dtype must be a string, got ", dt->kind_name());
  Entry e{name, DType::f32, {}, 0, 0};
  if (dt->text == "F32") e.dtype = DType::f32;
  else if (dt->text == "F64") e.dtype = DType::f64;
  else if (known_unsupported(dt->text))
    throw Error(str(where, ": dtype ", dt->text, " is not supported (specnet reads F32 and F64; convert with ",
                    "tools/convert_torch_checkpoint.py)"));
  else throw Error(str(where, ": unknown dtype \"", dt->text, "\""));
  SPECNET_CHECK(sh->kind == K::array, where, ": shape must be an array, got ", sh->kind_name());
  for (std::size_t i = 0; i < sh->items.size(); ++i) {
    const std::uint64_t d = sh->items[i].as_u64(str(where, ": shape[", i, "]"));
    SPECNET_CHECK(d <= static_cast<std::uint64_t>(INT64_MAX), where, ": shape[", i, "] = ", d, " is too large");
    e.shape.push_back(static_cast<std::int64_t>(d));
  }
  SPECNET_CHECK(off->kind == K::array && off->items.size() == 2, where,
                ": data_offsets must be an array of two integers");
  e.begin = off->items[0].as_u64(where + ": data_offsets[0]");
  e.end = off->items[1].as_u64(where + ": data_offsets[1]");
  SPECNET_CHECK(e.begin <= e.end, where, ": data_offsets [", e.begin, ", ", e.end, "] end before they begin");
  std::int64_t numel = 0;
  try {
    numel = shape_numel(e.shape);
  } catch (const Error&) {
    throw Error(str(where, ": shape ", shape_str(e.shape), " has too many elements"));
  }
  const std::uint64_t esize = dtype_size(e.dtype);
  SPECNET_CHECK(static_cast<std::uint64_t>(numel) <= UINT64_MAX / esize &&
                    static_cast<std::uint64_t>(numel) * esize == e.end - e.begin,
                where, ": shape ", shape_str(e.shape), " of ", dt->text, " needs ", static_cast<double>(numel) * esize,
                " bytes but data_offsets [", e.begin, ", ", e.end, "] span ", e.end - e.begin);
  return e;
}

void write_all(int fd, const void* data, std::size_t n, const std::string& tmp) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw Error(str("save_safetensors: writing ", tmp, " failed: ", std::strerror(errno)));
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

}  // namespace

const Tensor& SafeTensors::get(const std::string& name) const {
  for (const auto& e : tensors)
    if (e.first == name) return e.second;
  throw Error(str("safetensors: no tensor named \"", name, "\""));
}

bool SafeTensors::contains(const std::string& name) const {
  for (const auto& e : tensors)
    if (e.first == name) return true;
  return false;
}

SafeTensors parse_safetensors(const std::string& bytes, const std::string& what) {
  using K = io::json::Value::Kind;
  SPECNET_CHECK(bytes.size() >= 8, what, ": ", bytes.size(), " bytes is too short for a safetensors file ",
                "(needs an 8-byte header length)");
  std::uint64_t n = 0;
  std::memcpy(&n, bytes.data(), 8);  // little-endian host (static_assert above)
  SPECNET_CHECK(n <= bytes.size() - 8, what, ": header length ", n, " exceeds the ", bytes.size() - 8,
                " bytes after the length field (truncated or not a safetensors file)");
  SPECNET_CHECK(n <= kMaxHeaderBytes, what, ": header length ", n, " exceeds the limit of ", kMaxHeaderBytes);
  io::json::Value header;
  try {
    header = io::json::parse(bytes.substr(8, n));
  } catch (const Error& e) {
    throw Error(str(what, ": header is not valid JSON (", e.what(), ")"));
  }
  SPECNET_CHECK(header.kind == K::object, what, ": header must be a JSON object, got ", header.kind_name());

  SafeTensors out;
  std::vector<Entry> entries;
  for (const auto& [name, v] : header.members) {
    if (name == "__metadata__") {
      SPECNET_CHECK(v.kind == K::object, what, ": __metadata__ must be an object, got ", v.kind_name());
      for (const auto& [k, s] : v.members) {
        SPECNET_CHECK(s.kind == K::string, what, ": __metadata__ value of \"", k, "\" must be a string, got ",
                      s.kind_name());
        out.metadata[k] = s.text;
      }
      continue;
    }
    entries.push_back(parse_entry(name, v, what));
  }
  // The data section must be tiled exactly: sorted by offset, each tensor starts where the previous ended.
  const std::uint64_t data_size = bytes.size() - 8 - n;
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t cursor = 0;
  for (const Entry& e : entries) {
    SPECNET_CHECK(e.end <= data_size, what, ": tensor \"", e.name, "\" data_offsets [", e.begin, ", ", e.end,
                  "] run past the ", data_size, " bytes of data (file truncated?)");
    SPECNET_CHECK(e.begin >= cursor, what, ": tensor \"", e.name, "\" data_offsets [", e.begin, ", ", e.end,
                  "] overlap the previous tensor, which ends at ", cursor);
    SPECNET_CHECK(e.begin == cursor, what, ": gap in the data before tensor \"", e.name, "\" (bytes ", cursor, " to ",
                  e.begin, " belong to no tensor)");
    cursor = e.end;
  }
  SPECNET_CHECK(cursor == data_size, what, ": ", data_size - cursor, " trailing bytes after the last tensor's data");
  const char* data = bytes.data() + 8 + n;
  for (const Entry& e : entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    if (e.end > e.begin) std::memcpy(t.raw_data(), data + e.begin, e.end - e.begin);
    out.tensors.emplace_back(e.name, t);
  }
  return out;
}

SafeTensors load_safetensors(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  SPECNET_CHECK(f.good(), "load_safetensors: cannot open ", path, ": ", std::strerror(errno));
  std::ostringstream ss;
  ss << f.rdbuf();
  SPECNET_CHECK(!f.bad(), "load_safetensors: reading ", path, " failed");
  return parse_safetensors(ss.str(), path);
}

void save_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Validate and lay out everything before creating any file.
  std::set<std::string> names;
  std::vector<Tensor> data;  // contiguous CPU copies or aliases, in order
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      header += (first ? "" : ",") + io::json::quote(k) + ":" + io::json::quote(v);
      first = false;
    }
    header += "}";
  }
  std::uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    SPECNET_CHECK(!name.empty() && name != "__metadata__", "save_safetensors: invalid tensor name \"", name, "\"");
    SPECNET_CHECK(names.insert(name).second, "save_safetensors: tensor name \"", name, "\" appears twice");
    SPECNET_CHECK(t.defined(), "save_safetensors: tensor \"", name, "\" is undefined");
    Tensor c = t.detach().to(Device::cpu).contiguous();
    const std::uint64_t nbytes = static_cast<std::uint64_t>(c.numel()) * dtype_size(c.dtype());
    std::string shape = "[";
    for (std::size_t d = 0; d < c.shape().size(); ++d) shape += (d ? "," : "") + std::to_string(c.shape()[d]);
    header += (header.size() > 1 ? "," : "") + io::json::quote(name) + ":{\"dtype\":\"" + st_dtype(c.dtype()) +
              "\",\"shape\":" + shape + "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + nbytes) + "]}";
    offset += nbytes;
    data.push_back(c);
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');  // align the data section to 8 bytes, as the reference does
  const std::uint64_t hlen = header.size();

  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  SPECNET_CHECK(fd >= 0, "save_safetensors: cannot create ", tmp, ": ", std::strerror(errno));
  bool open_fd = true;
  try {
    write_all(fd, &hlen, 8, tmp);
    write_all(fd, header.data(), header.size(), tmp);
    for (const Tensor& c : data)
      if (c.numel() > 0) write_all(fd, c.raw_data(), static_cast<std::size_t>(c.numel()) * dtype_size(c.dtype()), tmp);
    SPECNET_CHECK(::fsync(fd) == 0, "save_safetensors: fsync of ", tmp, " failed: ", std::strerror(errno));
    open_fd = false;
    const int rc = ::close(fd);
    SPECNET_CHECK(rc == 0, "save_safetensors: closing ", tmp, " failed: ", std::strerror(errno));
    SPECNET_CHECK(::rename(tmp.c_str(), path.c_str()) == 0, "save_safetensors: renaming ", tmp, " to ", path,
                  " failed: ", std::strerror(errno));
  } catch (...) {
    if (open_fd) ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  // Make the rename itself durable: fsync the directory (best effort; some filesystems refuse).
  const std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/') + 1);
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

}  // namespace specnet
