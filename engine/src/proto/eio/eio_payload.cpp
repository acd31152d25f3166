#include "proto/eio/eio_payload.h"

namespace roomcast::eio {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

struct FrameView {
  uint8_t opcode;
  std::span<const uint8_t> payload;
};

// Reads one server frame at the start of `in`; 0 if incomplete or not a server frame.
size_t read_server_frame(std::span<const uint8_t> in, FrameView& f) {
  if (in.size() < 2) return 0;
  if ((in[0] & 0x80) == 0 || (in[0] & 0x70) != 0 || (in[1] & 0x80) != 0) return 0;
  uint64_t len = in[1] & 0x7F;
  size_t head = 2;
  if (len == 126) {
    if (in.size() < 4) return 0;
    len = (uint64_t(in[2]) << 8) | in[3];
    head = 4;
  } else if (len == 127) {
    if (in.size() < 10) return 0;
    len = 0;
    for (int i = 2; i < 10; ++i) len = (len << 8) | in[i];
    head = 10;
  }
  if (len > in.size() - head) return 0;
  f.opcode = in[0] & 0x0F;
  f.payload = in.subspan(head, size_t(len));
  return head + size_t(len);
}

}  // namespace

const char* to_string(PayloadError e) {
  switch (e) {
    case PayloadError::None: return "none";
    case PayloadError::Empty: return "empty payload";
    case PayloadError::EmptyPacket: return "empty packet";
    case PayloadError::BadType: return "unknown packet type";
    case PayloadError::BadBase64: return "invalid base64";
    case PayloadError::TooManyPackets: return "too many packets";
  }
  return "unknown";
}

PayloadError decode_payload(std::string_view body, std::vector<PayloadPacket>& out, size_t max_packets) {
  out.clear();
  if (body.empty()) return PayloadError::Empty;
  while (true) {
    size_t sep = body.find(kRecordSeparator);
    std::string_view part = body.substr(0, sep);
    if (part.empty()) return PayloadError::EmptyPacket;
    if (out.size() == max_packets) return PayloadError::TooManyPackets;
    PayloadPacket p;
    if (part[0] == 'b') {
      p.binary = true;
      if (!base64_decode(part.substr(1), p.bytes)) return PayloadError::BadBase64;
    } else if (part[0] >= '0' && part[0] <= '6') {
      p.text = part;
    } else {
      return PayloadError::BadType;
    }
    out.push_back(std::move(p));
    if (sep == std::string_view::npos) return PayloadError::None;
    body.remove_prefix(sep + 1);
  }
}

void append_text(std::string& payload, std::string_view packet) {
  if (!payload.empty()) payload.push_back(kRecordSeparator);
  payload.append(packet);
}

void append_binary(std::string& payload, std::span<const uint8_t> bytes) {
  if (!payload.empty()) payload.push_back(kRecordSeparator);
  payload.push_back('b');
  payload.append(base64_encode(bytes));
}

bool append_server_frames(std::string& payload, std::span<const uint8_t> frames) {
  // Validate the whole buffer first so a bad one leaves the payload untouched.
  for (std::span<const uint8_t> rest = frames; !rest.empty();) {
    FrameView f;
    size_t n = read_server_frame(rest, f);
    if (n == 0) return false;
    rest = rest.subspan(n);
  }
  for (std::span<const uint8_t> rest = frames; !rest.empty();) {
    FrameView f;
    size_t n = read_server_frame(rest, f);
    if (f.opcode == 1)
      append_text(payload, std::string_view(reinterpret_cast<const char*>(f.payload.data()), f.payload.size()));
    else if (f.opcode == 2)
      append_binary(payload, f.payload);
    rest = rest.subspan(n);
  }
  return true;
}

std::string base64_encode(std::span<const uint8_t> in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (uint32_t(in[i]) << 16) | (uint32_t(in[i + 1]) << 8) | in[i + 2];
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  size_t left = in.size() - i;
  if (left == 1) {
    uint32_t v = uint32_t(in[i]) << 16;
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.append("==");
  } else if (left == 2) {
    uint32_t v = (uint32_t(in[i]) << 16) | (uint32_t(in[i + 1]) << 8);
    out.push_back(kAlphabet[v >> 18]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

bool base64_decode(std::string_view text, std::string& out) {
  out.clear();
  if (text.size() % 4 != 0) return false;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int a = sextet(text[i]), b = sextet(text[i + 1]);
    if (a < 0 || b < 0) return false;
    int pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    int c = pad == 2 ? 0 : sextet(text[i + 2]);
    int d = pad >= 1 ? 0 : sextet(text[i + 3]);
    if (c < 0 || d < 0) return false;
    uint32_t v = (uint32_t(a) << 18) | (uint32_t(b) << 12) | (uint32_t(c) << 6) | uint32_t(d);
    out.push_back(char(v >> 16));
    if (pad < 2) out.push_back(char((v >> 8) & 0xFF));
    if (pad < 1) out.push_back(char(v & 0xFF));
  }
  return true;
}

}  // namespace roomcast::eio
