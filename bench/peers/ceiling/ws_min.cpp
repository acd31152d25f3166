#include "ws_min.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

namespace ceiling {

ClientFrame parse_client_frame(std::span<char> buf, size_t max_payload) {
  ClientFrame f;
  if (buf.size() < 2) return f;
  const auto b0 = static_cast<uint8_t>(buf[0]);
  const auto b1 = static_cast<uint8_t>(buf[1]);
  // Extensions are never negotiated here, so any RSV bit is a protocol error.
  if ((b0 & 0x70) != 0 || (b1 & 0x80) == 0) {
    f.status = FrameStatus::Bad;
    return f;
  }
  f.fin = (b0 & 0x80) != 0;
  f.op = static_cast<WsOp>(b0 & 0x0f);
  uint64_t len = b1 & 0x7f;
  size_t pos = 2;
  if (len == 126) {
    if (buf.size() < 4) return f;
    len = (uint64_t{static_cast<uint8_t>(buf[2])} << 8) | static_cast<uint8_t>(buf[3]);
    pos = 4;
  } else if (len == 127) {
    if (buf.size() < 10) return f;
    len = 0;
    for (size_t i = 0; i < 8; ++i) len = (len << 8) | static_cast<uint8_t>(buf[2 + i]);
    pos = 10;
  }
  if (len > max_payload) {
    f.status = FrameStatus::Bad;
    return f;
  }
  if (buf.size() < pos + 4 + len) return f;
  const char* mask = buf.data() + pos;
  char* payload = buf.data() + pos + 4;
  for (size_t i = 0; i < len; ++i) payload[i] ^= mask[i & 3];
  f.status = FrameStatus::Ok;
  f.payload = std::string_view(payload, len);
  f.consumed = pos + 4 + len;
  return f;
}

size_t server_frame_header(WsOp op, size_t payload_len, char out[10]) {
  out[0] = static_cast<char>(0x80 | static_cast<uint8_t>(op));
  if (payload_len < 126) {
    out[1] = static_cast<char>(payload_len);
    return 2;
  }
  if (payload_len <= 0xffff) {
    out[1] = 126;
    out[2] = static_cast<char>(payload_len >> 8);
    out[3] = static_cast<char>(payload_len & 0xff);
    return 4;
  }
  out[1] = 127;
  for (size_t i = 0; i < 8; ++i) out[2 + i] = static_cast<char>((uint64_t{payload_len} >> (56 - 8 * i)) & 0xff);
  return 10;
}

void append_server_frame(std::string& out, WsOp op, std::string_view payload) {
  char hdr[10];
  out.append(hdr, server_frame_header(op, payload.size(), hdr));
  out.append(payload);
}

namespace {

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool icontains(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return false;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i)
    if (iequals(hay.substr(i, needle.size()), needle)) return true;
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Upgrade parse_upgrade(std::string_view req) {
  Upgrade u;
  const size_t end = req.find("\r\n\r\n");
  if (end == std::string_view::npos) return u;
  u.complete = true;
  u.header_len = end + 4;
  std::string_view head = req.substr(0, end + 2);
  const size_t line_end = head.find("\r\n");
  const std::string_view request_line = head.substr(0, line_end);
  // The query is where Engine.IO names its transport and protocol version.
  if (!request_line.starts_with("GET ") || request_line.find("transport=websocket") == std::string_view::npos ||
      request_line.find("EIO=4") == std::string_view::npos)
    return u;
  bool upgrade_ws = false;
  head.remove_prefix(line_end + 2);
  while (!head.empty()) {
    const size_t eol = head.find("\r\n");
    const std::string_view line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view name = trim(line.substr(0, colon));
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "sec-websocket-key")) u.key = value;
    else if (iequals(name, "upgrade")) upgrade_ws = icontains(value, "websocket");
  }
  u.websocket = upgrade_ws && !u.key.empty();
  return u;
}

std::string accept_key(std::string_view client_key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string joined(client_key);
  joined.append(kGuid);
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest);
  unsigned char b64[4 * ((SHA_DIGEST_LENGTH + 2) / 3) + 1];
  const int n = EVP_EncodeBlock(b64, digest, SHA_DIGEST_LENGTH);
  return std::string(reinterpret_cast<char*>(b64), static_cast<size_t>(n));
}

}  // namespace ceiling
