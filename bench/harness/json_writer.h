// A minimal streaming JSON writer for the result file. Pure.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "util/json_text.h"
#include "proto/sio/sio_packet.h"

namespace roomcast::bench {

class JsonWriter {
 public:
  JsonWriter& begin_object(std::string_view key = {}) { return open(key, '{'); }
  JsonWriter& end_object() { return close('}'); }
  JsonWriter& begin_array(std::string_view key = {}) { return open(key, '['); }
  JsonWriter& end_array() { return close(']'); }

  JsonWriter& str(std::string_view key, std::string_view v) {
    sep(key);
    json::append_string(out_, v);
    return *this;
  }
  JsonWriter& num(std::string_view key, uint64_t v) {
    sep(key);
    out_ += std::to_string(v);
    return *this;
  }
  JsonWriter& num(std::string_view key, double v) {
    sep(key);
    if (!std::isfinite(v)) {
      out_ += "null";
      return *this;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    out_ += buf;
    return *this;
  }
  JsonWriter& boolean(std::string_view key, bool v) {
    sep(key);
    out_ += v ? "true" : "false";
    return *this;
  }
  // A value that is already JSON text (e.g. the server's profile), inserted verbatim.
  JsonWriter& raw(std::string_view key, std::string_view json) {
    sep(key);
    out_ += json;
    return *this;
  }
  JsonWriter& null(std::string_view key) {
    sep(key);
    out_ += "null";
    return *this;
  }

  const std::string& text() const { return out_; }

 private:
  JsonWriter& open(std::string_view key, char c) {
    sep(key);
    out_ += c;
    first_ = true;
    return *this;
  }
  JsonWriter& close(char c) {
    out_ += c;
    first_ = false;
    return *this;
  }
  // Writes the separator and, inside an object, the key.
  void sep(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    if (!key.empty()) {
      json::append_string(out_, key);
      out_ += ':';
    }
  }

  std::string out_;
  bool first_ = true;
};

}  // namespace roomcast::bench
