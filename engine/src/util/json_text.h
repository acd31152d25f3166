// JSON string literals: the engine's one writer and reader of them. Socket.IO packets
// (sio_packet), the broadcast encoder (wire_encode) and the Redis adapter's msgpack <-> JSON
// bridge (msgpack_codec) all produce and consume the same literals, so they must agree on
// escaping, on invalid UTF-8 and on lone surrogates; one implementation makes that true by
// construction. Pure: no I/O, no state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace roomcast::json {

// Length of the well-formed UTF-8 sequence at p (1-4), 0 if ill-formed (RFC 3629: no
// overlongs, no surrogates, nothing above U+10FFFF). `avail` >= 1 bytes are readable.
size_t utf8_sequence(const unsigned char* p, size_t avail);

// Appends the UTF-8 form of code point `cp` (<= U+10FFFF, not a surrogate).
void append_utf8(std::string& out, uint32_t cp);

// The literal for `s`, quotes included, escaped like JSON.stringify (\" \\ \b \f \n \r \t,
// \u00xx for other control characters); other bytes pass through, except ill-formed UTF-8,
// each byte of which becomes U+FFFD, so a WebSocket text frame can never carry it.
//   std::string out; json::append_string(out, "a\"b");   // out == R"("a\"b")"
void append_string(std::string& out, std::string_view s);
// The same literal written to raw memory: string_size(s) bytes at `out`; returns the end.
// For encoders that size a frame first and then fill it without reallocating.
size_t string_size(std::string_view s);
char* write_string(char* out, std::string_view s);

// Decodes one literal (quotes included) into UTF-8: escapes resolved, surrogate pairs joined,
// a lone surrogate escape (what JavaScript writes for a string cut inside an emoji) and each
// byte of ill-formed raw UTF-8 becomes U+FFFD, as the writer above does. nullopt if `literal`
// is not exactly one string literal (missing quotes, raw control character, bad escape).
//   json::parse_string(R"("\u00e9")") == "\xC3\xA9"
std::optional<std::string> parse_string(std::string_view literal);

// Index just past the literal whose opening quote is s[i], following escapes only (no
// validation); npos if it does not close within `s`.
size_t string_end(std::string_view s, size_t i);

}  // namespace roomcast::json
