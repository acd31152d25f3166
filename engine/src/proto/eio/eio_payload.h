// Engine.IO v4 long-polling payloads: several packets in one HTTP body, joined by the
// record separator 0x1E; binary packets travel as 'b' + base64 because bodies are text.
// Pure: no I/O.
#pragma once
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace roomcast::eio {

inline constexpr char kRecordSeparator = '\x1e';

struct PayloadPacket {
  bool binary = false;
  std::string_view text;  // text packet, type character included; a view into the body
  std::string bytes;      // binary packet, decoded
};

enum class PayloadError { None, Empty, EmptyPacket, BadType, BadBase64, TooManyPackets };
const char* to_string(PayloadError e);

// Splits a POST body into packets. A text packet must start with a known type digit
// (0-6); an empty body, an empty packet, bad base64 or more than `max_packets` packets is
// an error, as the reference decoder turns each of these into an error packet.
PayloadError decode_payload(std::string_view body, std::vector<PayloadPacket>& out,
                            size_t max_packets = 1000);

// Appends one packet to a payload being built, with the separator when not the first.
void append_text(std::string& payload, std::string_view packet);
void append_binary(std::string& payload, std::span<const uint8_t> bytes);

// The engine queues WebSocket-encoded server frames (unmasked, final) for every session;
// a polling session turns them back into packets here: a text frame is a text packet, a
// binary frame a binary one, control frames are skipped. False if the bytes are not a
// sequence of whole server frames (nothing is appended then).
bool append_server_frames(std::string& payload, std::span<const uint8_t> frames);

std::string base64_encode(std::span<const uint8_t> bytes);
// Standard alphabet with '=' padding (what the reference client sends); false on anything else.
bool base64_decode(std::string_view text, std::string& out);

}  // namespace roomcast::eio
