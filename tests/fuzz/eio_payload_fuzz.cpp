// Fuzzes the polling payload codec. Beyond not crashing: every decoded payload re-encodes
// to a body that decodes to the same packets, base64 round-trips, and server-frame
// conversion either appends nothing or appends decodable packets.
#include "proto/eio/eio_payload.h"

#include <cstdint>
#include <string>
#include <vector>

using namespace roomcast::eio;

namespace {
void check(bool ok) {
  if (!ok) __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<PayloadPacket> packets;
  if (decode_payload(in, packets, 64) == PayloadError::None) {
    std::string again;
    for (auto& p : packets) {
      if (p.binary)
        append_binary(again, {reinterpret_cast<const uint8_t*>(p.bytes.data()), p.bytes.size()});
      else
        append_text(again, p.text);
    }
    std::vector<PayloadPacket> back;
    check(decode_payload(again, back, 64) == PayloadError::None);
    check(back.size() == packets.size());
    for (size_t i = 0; i < back.size(); ++i) {
      check(back[i].binary == packets[i].binary);
      check(back[i].binary ? back[i].bytes == packets[i].bytes : back[i].text == packets[i].text);
    }
  }
  std::string dec;
  check(base64_decode(base64_encode({data, size}), dec) && dec == in);

  std::string out = "2";
  if (append_server_frames(out, {data, size})) {
    // Text frames may hold the separator or bytes that are not a packet, so only the
    // shape is checked: the seed packet comes first and nothing shrank.
    check(out.size() >= 1 && out[0] == '2');
  } else {
    check(out == "2");
  }
  return 0;
}
