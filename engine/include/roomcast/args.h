// Event arguments: what handlers receive (Args) and what emit() takes (Arg).
//
// Arguments travel as raw JSON text. Nothing is re-serialised: forwarding an incoming
// argument copies its bytes into the outgoing frame (key order, number spelling and
// escapes are kept), and binary values travel as Socket.IO attachments.
#pragma once
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace roomcast {

// JSON text passed through unchanged: emit("ev", RawJson{R"({"a":1})"}).
struct RawJson {
  std::string_view text;
};

// The JSON string literal for `s`, quotes included, escaped as JSON.stringify does (ill-formed
// UTF-8 becomes U+FFFD), for building RawJson:
//   socket.emit("rooms", RawJson{"[" + json_quote("a\"b") + "]"});   // sends ["a\"b"]
std::string json_quote(std::string_view s);

// Bytes sent as a binary attachment: emit("ev", Binary{bytes}).
struct Binary {
  std::span<const uint8_t> bytes;
};

// One incoming argument, as a view into its Args (valid while the Args is).
struct ArgRef {
  std::string_view json;                              // raw JSON text of the value
  const std::vector<std::string>* attachments = nullptr;  // its packet's binary attachments
};

// One argument of an emit. A view: what it refers to must outlive the emit() call, which
// copies everything into the encoded frame. Strings become JSON strings (escaped);
// numbers and bools their JSON spelling; RawJson is copied verbatim; Binary becomes an
// attachment; ArgRef forwards an incoming value byte for byte (with its attachments).
class Arg {
 public:
  enum class Kind : uint8_t { String, Json, Binary, Forward };

  Arg(std::string_view s) : kind_(Kind::String), text_(s) {}
  Arg(const char* s) : kind_(Kind::String), text_(s) {}
  Arg(const std::string& s) : kind_(Kind::String), text_(s) {}
  Arg(RawJson j) : kind_(Kind::Json), text_(j.text) {}
  Arg(Binary b) : kind_(Kind::Binary), bytes_(b.bytes) {}
  Arg(ArgRef r) : kind_(Kind::Forward), text_(r.json), attachments_(r.attachments) {}
  Arg(bool b) : kind_(Kind::Json), text_(b ? "true" : "false") {}
  template <class T>
    requires(std::is_arithmetic_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>)
  Arg(T v) : kind_(Kind::Json) {
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(v)) {  // JSON has no NaN/Infinity; JSON.stringify writes null
        text_ = "null";
        return;
      }
    }
    auto r = std::to_chars(num_, num_ + sizeof(num_), v);
    text_ = std::string_view(num_, size_t(r.ptr - num_));
  }
  Arg(const Arg& o) { *this = o; }
  Arg& operator=(const Arg& o) {
    kind_ = o.kind_;
    bytes_ = o.bytes_;
    attachments_ = o.attachments_;
    if (o.text_.data() == o.num_) {  // keep pointing at our own copy of the digits
      std::copy(o.num_, o.num_ + sizeof(num_), num_);
      text_ = std::string_view(num_, o.text_.size());
    } else {
      text_ = o.text_;
    }
    return *this;
  }

  Kind kind() const { return kind_; }
  std::string_view text() const { return text_; }              // String, Json, Forward
  std::span<const uint8_t> bytes() const { return bytes_; }    // Binary
  const std::vector<std::string>* attachments() const { return attachments_; }  // Forward

 private:
  Kind kind_;
  std::string_view text_;
  std::span<const uint8_t> bytes_;
  const std::vector<std::string>* attachments_ = nullptr;
  char num_[32] = {};
};

// The arguments of an incoming event or ack: parsed lazily, kept as raw JSON.
class Args {
 public:
  Args() = default;
  // Takes the packet's JSON array text (e.g. `["ev",1,{"a":2}]`), whose first `skip`
  // elements are not arguments (1 for events: the name), and its attachments.
  // Returns nullopt if `array_json` is not a JSON array. The text is trusted to be valid
  // JSON (sio::decode checks it); arguments are split, not re-validated.
  static std::optional<Args> from_array(std::string array_json, size_t skip,
                                        std::vector<std::string> attachments = {});

  // Raw JSON of the array's first element when from_array skipped it (an event's name).
  std::string_view skipped_head() const { return item(head_); }

  size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  std::string_view raw(size_t i) const { return item(items_.at(i)); }
  ArgRef operator[](size_t i) const { return ArgRef{raw(i), &attachments_}; }

  // Typed accessors; nullopt when argument i is missing or of another JSON type.
  std::optional<std::string> str(size_t i) const;
  std::optional<int64_t> i64(size_t i) const;
  std::optional<double> f64(size_t i) const;
  std::optional<bool> boolean(size_t i) const;
  // The bytes when argument i is a binary placeholder.
  std::optional<std::span<const uint8_t>> binary(size_t i) const;

  // Arguments [from, size()) as Args for emit(): forwards them byte for byte.
  std::vector<Arg> forward(size_t from = 0) const;

  const std::vector<std::string>& attachments() const { return attachments_; }

 private:
  // Offsets rather than string_views into text_, so copies and moves (small-string
  // buffers move with the object) stay valid.
  struct Item {
    size_t offset;
    size_t size;
  };
  std::string_view item(Item it) const { return std::string_view(text_).substr(it.offset, it.size); }
  Item head_{0, 0};

  std::string text_;
  std::vector<Item> items_;
  std::vector<std::string> attachments_;
};

}  // namespace roomcast
