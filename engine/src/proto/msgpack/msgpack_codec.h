// MessagePack as spoken by Node's notepack.io (the default parser of @socket.io/redis-adapter
// and @socket.io/redis-emitter), translated to and from Socket.IO's JSON-with-attachments form.
// Pure: functions over byte spans, no I/O. Errors are values.
//
// Reading (msgpack -> JSON text + attachments) gives the JSON a Node server would send to
// its clients after notepack.decode: nil and notepack's undefined (fixext1 type 0) are
// null in arrays, an undefined map value drops its key (as JSON.stringify does); floats
// print like JS numbers; 64-bit integers lose precision like JS numbers do; bin, ext type 0
// (ArrayBuffer) become binary attachments ({"_placeholder":true,"num":k}); timestamps
// (ext -1, legacy fixext8 type 0) become ISO date strings; other ext types become
// [type, <binary>] as notepack returns them. Map keys must be strings or integers.
// Known gap: JS enumerates integer-like keys first; this keeps the wire order.
//
// Writing (JSON text -> msgpack) gives what notepack.encode would produce for JSON.parse of
// that text: integral numbers as msgpack integers, others as float64; canonical binary
// placeholders become bin with the referenced attachment's bytes.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace roomcast::detail::mp {

// Deeper nesting is refused: a hostile payload must not exhaust the stack.
inline constexpr int kMaxDepth = 64;

enum class Kind : uint8_t { Nil, Undefined, Bool, Int, Uint, Float, Str, Bin, Array, Map, Ext };

// One msgpack item's header. For Str/Bin/Ext `len` bytes of payload follow (see `body`);
// for Array/Map `len` items (pairs) follow.
struct Head {
  Kind kind = Kind::Nil;
  bool b = false;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
  uint32_t len = 0;
  int8_t ext_type = 0;
  std::string_view body;  // Str / Bin / Ext payload
};

// A cursor over untrusted bytes. Every read checks bounds; after the first failure `ok()`
// stays false and every later read fails.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : p_(in.data()), end_(in.data() + in.size()) {}
  explicit Reader(std::string_view in)
      : p_(reinterpret_cast<const uint8_t*>(in.data())), end_(p_ + in.size()) {}

  bool ok() const { return ok_; }
  bool at_end() const { return p_ == end_; }
  size_t remaining() const { return size_t(end_ - p_); }

  bool next(Head& h);  // reads one header (and a Str/Bin/Ext payload)
  bool skip();         // skips one whole item, nested ones included (depth-limited)
  bool skip_children(const Head& h);  // skips what follows a header just read
  // Reads a string (or an integer, printed in decimal) into `out`.
  bool string(std::string& out);

 private:
  bool skip_depth(int depth);
  bool skip_items(const Head& h, int depth);
  bool fail() { ok_ = false; return false; }
  bool take(size_t n, const uint8_t** at);
  const uint8_t* p_;
  const uint8_t* end_;
  bool ok_ = true;
};

// Reads one item and appends its JSON form to `json`; binary values append their bytes to
// `attachments` and a placeholder to `json`. False on malformed or too deep input.
bool to_json(Reader& r, std::string& json, std::vector<std::string>& attachments);

// Appends a JS-style number (Number.prototype.toString; JSON.stringify writes non-finite
// values as null).
void append_js_number(std::string& out, double v);

// ---- writing ----
void put_nil(std::string& out);
void put_bool(std::string& out, bool v);
void put_int(std::string& out, int64_t v);
void put_double(std::string& out, double v);
void put_str(std::string& out, std::string_view s);
void put_bin(std::string& out, std::string_view bytes);
void put_array(std::string& out, uint32_t n);
void put_map(std::string& out, uint32_t n);

// Appends the msgpack of one JSON value (the whole of `json`, surrounding whitespace
// allowed). A canonical placeholder {"_placeholder":true,"num":k} becomes bin with
// attachments[k] (nil if there is no such attachment). False if `json` is not valid JSON
// or is nested deeper than kMaxDepth; `out` then holds a partial value.
bool json_to_msgpack(std::string_view json, std::string& out,
                     const std::vector<std::string>* attachments = nullptr);

}  // namespace roomcast::detail::mp
