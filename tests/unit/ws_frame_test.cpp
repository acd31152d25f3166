// RFC 6455 framing: the RFC's own examples, every chunk split, each error and its code.
#include "proto/ws/ws_frame.h"

#include <gtest/gtest.h>

#include <array>
#include <string>
#include <vector>

using namespace roomcast::ws;

namespace {

using Bytes = std::vector<uint8_t>;
using Key = std::array<uint8_t, 4>;

constexpr uint8_t kFin = 0x80;
constexpr Key kRfcKey = {0x37, 0xfa, 0x21, 0x3d};

// A client frame built independently of the parser. len_bytes -1 = minimal encoding,
// 0/2/8 force a length form (to test non-minimal lengths).
Bytes client_frame(uint8_t b0, std::string_view payload, Key key = kRfcKey, int len_bytes = -1,
                   bool masked = true) {
  Bytes f{b0};
  uint64_t n = payload.size();
  if (len_bytes < 0) len_bytes = n < 126 ? 0 : (n <= 0xFFFF ? 2 : 8);
  uint8_t m = masked ? 0x80 : 0;
  if (len_bytes == 0) f.push_back(uint8_t(m | n));
  if (len_bytes == 2) f.insert(f.end(), {uint8_t(m | 126), uint8_t(n >> 8), uint8_t(n)});
  if (len_bytes == 8) {
    f.push_back(uint8_t(m | 127));
    for (int i = 7; i >= 0; --i) f.push_back(uint8_t(n >> (8 * i)));
  }
  if (masked) f.insert(f.end(), key.begin(), key.end());
  for (size_t i = 0; i < n; ++i) f.push_back(uint8_t(payload[i]) ^ (masked ? key[i % 4] : 0));
  return f;
}

Bytes frame(Opcode op, std::string_view payload, bool fin = true, Key key = kRfcKey) {
  return client_frame(uint8_t((fin ? kFin : 0) | uint8_t(op)), payload, key);
}

// Header of a masked frame declaring `len` bytes, without the payload.
Bytes header_only(uint8_t b0, uint64_t len) {
  Bytes f{b0, uint8_t(0x80 | 127)};
  for (int i = 7; i >= 0; --i) f.push_back(uint8_t(len >> (8 * i)));
  f.insert(f.end(), kRfcKey.begin(), kRfcKey.end());
  return f;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

std::string close_payload(uint16_t code, std::string_view reason = {}) {
  std::string s{char(code >> 8), char(code & 0xFF)};
  return s.append(reason);
}

struct Got {
  Opcode op;
  std::string payload;
  uint16_t code = 0;
  bool operator==(const Got&) const = default;
};
void PrintTo(const Got& g, std::ostream* os) {
  *os << "{op " << int(g.op) << ", " << g.payload.size() << " bytes, code " << g.code << "}";
}

struct Result {
  std::vector<Got> got;
  Status status = Status::NeedMore;
  uint16_t error = 0;
};

// Feeds `stream` cut at the ascending offsets `cuts`, draining all messages per chunk.
Result feed(Parser& p, Bytes stream, std::vector<size_t> cuts = {}) {
  Result r;
  cuts.push_back(stream.size());
  size_t start = 0;
  for (size_t cut : cuts) {
    std::span<uint8_t> in(stream.data() + start, cut - start);
    start = cut;
    Message m;
    while ((r.status = p.next(in, m)) == Status::Message) {
      r.got.push_back({m.opcode, std::string(m.payload.begin(), m.payload.end()), m.close_code});
    }
    if (r.status == Status::Error) {
      r.error = p.error_code();
      return r;
    }
    EXPECT_TRUE(in.empty());
  }
  return r;
}

Result feed_new(const Bytes& stream, std::vector<size_t> cuts = {}, size_t max = 1'000'000,
                size_t max_fragments = 1024) {
  Parser p(max, max_fragments);
  return feed(p, stream, std::move(cuts));
}

uint16_t error_of(const Bytes& stream, size_t max = 1'000'000, size_t max_fragments = 1024) {
  Result r = feed_new(stream, {}, max, max_fragments);
  EXPECT_EQ(r.status, Status::Error);
  return r.error;
}

std::string payload_of(const Message& m) { return std::string(m.payload.begin(), m.payload.end()); }

}  // namespace

TEST(WsEncode, RfcLengthExamples) {
  uint8_t h[kMaxServerHeader];
  ASSERT_EQ(encode_header(Opcode::Text, 5, h), 2u);
  EXPECT_EQ(Bytes(h, h + 2), (Bytes{0x81, 0x05}));
  ASSERT_EQ(encode_header(Opcode::Binary, 256, h), 4u);  // RFC 5.7: 256 bytes, one frame
  EXPECT_EQ(Bytes(h, h + 4), (Bytes{0x82, 0x7E, 0x01, 0x00}));
  ASSERT_EQ(encode_header(Opcode::Binary, 65536, h), 10u);  // RFC 5.7: 64 KiB, one frame
  EXPECT_EQ(Bytes(h, h + 10), (Bytes{0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0}));
  for (uint64_t n : {0ull, 125ull, 126ull, 65535ull, 65536ull, 1ull << 40})
    EXPECT_EQ(header_size(n), encode_header(Opcode::Text, n, h)) << n;
}

TEST(WsEncode, FrameAndClose) {
  EXPECT_EQ(encode_frame(Opcode::Text, "Hello"), std::string("\x81\x05Hello"));
  EXPECT_EQ(encode_frame(Opcode::Pong, ""), std::string("\x8A\x00", 2));
  std::string big(300, 'x');
  EXPECT_EQ(encode_frame(Opcode::Binary, big), std::string("\x82\x7E\x01\x2C", 4) + big);
  EXPECT_EQ(encode_close(1000, "bye"), std::string("\x88\x05\x03\xE8" "bye", 7));
  EXPECT_EQ(encode_close(4321), std::string("\x88\x02\x10\xE1", 4));
  EXPECT_EQ(encode_close(close_code::kNoStatus, "x"), std::string("\x88\x00", 2));
  // Reasons are cut to 123 bytes so the payload fits a control frame...
  EXPECT_EQ(encode_close(1001, std::string(200, 'a')), encode_close(1001, std::string(123, 'a')));
  // ...and never inside a code point: 122 ASCII bytes + a 3-byte euro sign keeps 122.
  std::string euro = std::string(122, 'a') + "\xE2\x82\xAC";
  EXPECT_EQ(encode_close(1001, euro), encode_close(1001, std::string(122, 'a')));
}

TEST(WsParse, RfcMaskedHelloIsZeroCopy) {
  Bytes in{0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  ASSERT_EQ(client_frame(0x81, "Hello"), in);  // the test encoder agrees with the RFC
  Parser p;
  std::span<uint8_t> span(in);
  Message m;
  ASSERT_EQ(p.next(span, m), Status::Message);
  EXPECT_EQ(m.opcode, Opcode::Text);
  EXPECT_EQ(payload_of(m), "Hello");
  EXPECT_EQ(m.payload.data(), in.data() + 6);  // unmasked in place, not copied
  EXPECT_TRUE(span.empty());
  EXPECT_EQ(p.buffered_bytes(), 0u);
  EXPECT_EQ(p.next(span, m), Status::NeedMore);
}

TEST(WsParse, RfcExamplesUnmaskedAreRejected) {
  EXPECT_EQ(error_of({0x81, 0x05, 'H', 'e', 'l', 'l', 'o'}), close_code::kProtocolError);
  EXPECT_EQ(error_of({0x89, 0x05, 'H', 'e', 'l', 'l', 'o'}), close_code::kProtocolError);
}

TEST(WsParse, RfcMaskedPongAndFragmentedHello) {
  Bytes pong{0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
  Bytes frag = cat({client_frame(0x01, "Hel"), client_frame(0x80, "lo")});
  Result r = feed_new(cat({pong, frag}));
  EXPECT_EQ(r.status, Status::NeedMore);
  EXPECT_EQ(r.got, (std::vector<Got>{{Opcode::Pong, "Hello"}, {Opcode::Text, "Hello"}}));
}

TEST(WsParse, EverySplitPointGivesTheSameMessages) {
  std::string bin(300, '\0');
  for (size_t i = 0; i < bin.size(); ++i) bin[i] = char(i * 7);
  Bytes stream = cat({
      frame(Opcode::Text, "Hello", true, {0, 0, 0, 0}),
      frame(Opcode::Binary, bin, true, {0xde, 0xad, 0xbe, 0xef}),
      frame(Opcode::Text, "frag", false, {1, 2, 3, 4}),
      frame(Opcode::Continuation, "men\xE2\x82", false, {9, 8, 7, 6}),  // euro split across
      frame(Opcode::Ping, "p!", true, {5, 5, 5, 5}),
      frame(Opcode::Continuation, "\xAC!", true, {0xff, 0, 0xff, 0}),
      frame(Opcode::Pong, "", true),
      frame(Opcode::Binary, "", true),
      frame(Opcode::Close, close_payload(1000, "bye"), true, {3, 1, 4, 1}),
  });
  std::vector<Got> want{{Opcode::Text, "Hello"},       {Opcode::Binary, bin},
                        {Opcode::Ping, "p!"},          {Opcode::Text, "fragmen\xE2\x82\xAC!"},
                        {Opcode::Pong, ""},            {Opcode::Binary, ""},
                        {Opcode::Close, "bye", 1000}};
  EXPECT_EQ(feed_new(stream).got, want);
  for (size_t i = 0; i <= stream.size(); ++i) {
    Result r = feed_new(stream, {i});
    ASSERT_EQ(r.got, want) << "split at " << i;
    ASSERT_EQ(r.status, Status::NeedMore);
  }
  std::vector<size_t> every;
  for (size_t i = 1; i < stream.size(); ++i) every.push_back(i);
  EXPECT_EQ(feed_new(stream, every).got, want);  // byte by byte
  // Three chunks: all pairs of cut points over the part with small frames.
  // Skip the first two frames (their splits are covered above) to keep this quadratic loop short.
  size_t small = frame(Opcode::Text, "Hello").size() + frame(Opcode::Binary, bin).size();
  for (size_t i = small; i <= stream.size(); ++i)
    for (size_t j = i; j <= stream.size(); ++j) ASSERT_EQ(feed_new(stream, {i, j}).got, want);
}

TEST(WsParse, LongLengthsAtEverySplitNearTheHeader) {
  for (size_t n : {125u, 126u, 65535u, 65536u, 70000u}) {
    std::string payload(n, 'z');
    payload[n - 1] = 'e';
    Bytes f = frame(Opcode::Binary, payload, true, {1, 2, 3, 4});
    ASSERT_EQ(f.size(), n + header_size(n) + 4);
    std::vector<Got> want{{Opcode::Binary, payload}};
    for (size_t i = 0; i <= 20; ++i) ASSERT_EQ(feed_new(f, {i}).got, want) << n << " " << i;
    for (size_t i = 20; i < f.size(); i += 4999) ASSERT_EQ(feed_new(f, {i}).got, want);
  }
}

TEST(WsParse, NonMinimalLengthsAreAccepted) {
  Bytes a = client_frame(0x81, "hi", kRfcKey, 2);
  Bytes b = client_frame(0x82, std::string(200, 'b'), kRfcKey, 8);
  EXPECT_EQ(feed_new(cat({a, b})).got,
            (std::vector<Got>{{Opcode::Text, "hi"}, {Opcode::Binary, std::string(200, 'b')}}));
}

TEST(WsParse, PingBetweenFragmentsIsReturnedAtOnce) {
  Parser p;
  Bytes first = cat({frame(Opcode::Binary, "ab", false), frame(Opcode::Ping, "x")});
  Result r = feed(p, first);
  EXPECT_EQ(r.got, (std::vector<Got>{{Opcode::Ping, "x"}}));  // before the message ends
  EXPECT_GT(p.buffered_bytes(), 0u);                         // "ab" is held
  r = feed(p, cat({frame(Opcode::Close, ""), frame(Opcode::Continuation, "cd")}));
  EXPECT_EQ(r.got, (std::vector<Got>{{Opcode::Close, "", close_code::kNoStatus},
                                     {Opcode::Binary, "abcd"}}));
}

TEST(WsParse, ProtocolErrors) {
  constexpr uint16_t k1002 = close_code::kProtocolError;
  EXPECT_EQ(error_of(client_frame(0x81, "hi", kRfcKey, -1, false)), k1002);  // unmasked
  for (uint8_t rsv : {0x40, 0x20, 0x10}) EXPECT_EQ(error_of(client_frame(0x81 | rsv, "hi")), k1002);
  for (uint8_t op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF})
    EXPECT_EQ(error_of(client_frame(0x80 | op, "")), k1002) << int(op);
  EXPECT_EQ(error_of(frame(Opcode::Ping, std::string(126, 'p'))), k1002);  // control > 125
  EXPECT_EQ(error_of(client_frame(0x89, "p", kRfcKey, 2)), k1002);  // 126-form is > 125 too
  EXPECT_EQ(error_of(frame(Opcode::Ping, "p", false)), k1002);      // fragmented control
  EXPECT_EQ(error_of(frame(Opcode::Close, "", false)), k1002);
  EXPECT_EQ(error_of(frame(Opcode::Continuation, "x")), k1002);  // nothing to continue
  EXPECT_EQ(error_of(cat({frame(Opcode::Text, "a"), frame(Opcode::Continuation, "x")})), k1002);
  EXPECT_EQ(error_of(cat({frame(Opcode::Text, "a", false), frame(Opcode::Text, "b")})), k1002);
  EXPECT_EQ(error_of(cat({frame(Opcode::Text, "a", false), frame(Opcode::Binary, "b")})), k1002);
  EXPECT_EQ(error_of(header_only(0x82, 1ull << 63)), k1002);  // 64-bit length, MSB set
  EXPECT_EQ(error_of(frame(Opcode::Close, "\x03")), k1002);  // 1-byte close payload
}

TEST(WsParse, ErrorsAreDetectedFromTheHeaderAndSticky) {
  Parser p(1000);
  Bytes h = header_only(0x82, 1001);
  std::span<uint8_t> in(h.data(), 10);  // just the length, not even the mask key
  Message m;
  EXPECT_EQ(p.next(in, m), Status::Error);
  EXPECT_EQ(p.error_code(), close_code::kTooBig);
  EXPECT_LE(p.buffered_bytes(), 14u);  // at most the header bytes; no payload buffer
  Bytes good = frame(Opcode::Text, "ok");
  std::span<uint8_t> more(good);
  EXPECT_EQ(p.next(more, m), Status::Error);  // stays in Error
  EXPECT_EQ(p.error_code(), close_code::kTooBig);
  // The unmasked bit is refused on the second byte alone.
  Parser q;
  Bytes two{0x81, 0x05};
  std::span<uint8_t> in2(two);
  EXPECT_EQ(q.next(in2, m), Status::Error);
  EXPECT_EQ(q.error_code(), close_code::kProtocolError);
}

TEST(WsParse, MaxMessageSizeBoundary) {
  constexpr size_t kMax = 1000;
  EXPECT_EQ(feed_new(frame(Opcode::Binary, std::string(kMax, 'a')), {}, kMax).got.size(), 1u);
  EXPECT_EQ(error_of(frame(Opcode::Binary, std::string(kMax + 1, 'a')), kMax), close_code::kTooBig);
  Bytes ok = cat({frame(Opcode::Text, std::string(600, 'a'), false),
                  frame(Opcode::Continuation, std::string(400, 'b'))});
  Result r = feed_new(ok, {}, kMax);
  ASSERT_EQ(r.got.size(), 1u);
  EXPECT_EQ(r.got[0].payload, std::string(600, 'a') + std::string(400, 'b'));
  Bytes over = cat({frame(Opcode::Text, std::string(600, 'a'), false),
                    frame(Opcode::Continuation, std::string(401, 'b'))});
  EXPECT_EQ(error_of(over, kMax), close_code::kTooBig);
  // The limit is per message: back-to-back messages of exactly the limit all pass.
  Bytes twice = cat({ok, frame(Opcode::Binary, std::string(kMax, 'c')), ok});
  EXPECT_EQ(feed_new(twice, {}, kMax).got.size(), 3u);
  EXPECT_EQ(feed_new(twice, {700, 1500, 2100}, kMax).got.size(), 3u);  // via the copy path
  // Control frames do not count toward the data message.
  Bytes with_ping = cat({frame(Opcode::Text, std::string(900, 'a'), false),
                         frame(Opcode::Ping, std::string(125, 'p')),
                         frame(Opcode::Continuation, std::string(100, 'b'))});
  EXPECT_EQ(feed_new(with_ping, {}, kMax).got.size(), 2u);
}

TEST(WsParse, MaxFragments) {
  auto fragmented = [](size_t n) {
    Bytes out = frame(Opcode::Binary, "0", n == 1);
    for (size_t i = 1; i < n; ++i) {
      Bytes f = frame(Opcode::Continuation, std::to_string(i % 10), i + 1 == n);
      out.insert(out.end(), f.begin(), f.end());
    }
    return out;
  };
  Result r = feed_new(cat({fragmented(4), fragmented(4)}), {}, 1000, 4);  // count resets
  ASSERT_EQ(r.got.size(), 2u);
  EXPECT_EQ(r.got[1].payload, "0123");
  EXPECT_EQ(error_of(fragmented(5), 1000, 4), close_code::kTooBig);
}

TEST(WsParse, Utf8Validation) {
  constexpr uint16_t k1007 = close_code::kInvalidPayload;
  EXPECT_EQ(error_of(frame(Opcode::Text, "ab\xFF")), k1007);
  EXPECT_EQ(error_of(frame(Opcode::Text, "\xED\xA0\x80")), k1007);  // UTF-16 surrogate
  EXPECT_EQ(error_of(frame(Opcode::Text, "\xC0\xAF")), k1007);      // overlong '/'
  EXPECT_EQ(feed_new(frame(Opcode::Binary, "ab\xFF")).got.size(), 1u);  // binary is opaque
  // A valid code point split over fragments is fine; an invalid one is not.
  Bytes split_ok = cat({frame(Opcode::Text, "\xF0\x9F", false), frame(Opcode::Continuation, "\x98\x80")});
  EXPECT_EQ(feed_new(split_ok).got, (std::vector<Got>{{Opcode::Text, "\xF0\x9F\x98\x80"}}));
  Bytes split_bad = cat({frame(Opcode::Text, "a\xE2\x82", false), frame(Opcode::Continuation, "(")});
  EXPECT_EQ(error_of(split_bad), k1007);
  Bytes truncated = cat({frame(Opcode::Text, "a", false), frame(Opcode::Continuation, "\xE2\x82")});
  EXPECT_EQ(error_of(truncated), k1007);
}

TEST(WsParse, InvalidUtf8FailsBeforeTheMessageEnds) {
  Parser p;  // first fragment is already invalid: no need to wait for the last one
  EXPECT_EQ(feed(p, frame(Opcode::Text, "ok\xFF", false)).error, close_code::kInvalidPayload);
  Parser q;  // same inside one frame whose end has not arrived
  Bytes f = frame(Opcode::Text, "\xC0\xAF and much more text");
  Result r = feed(q, Bytes(f.begin(), f.begin() + 9));
  EXPECT_EQ(r.error, close_code::kInvalidPayload);
  Parser s;  // but a code point cut by the chunk boundary is not an error yet
  Bytes g = frame(Opcode::Text, "\xE2\x82\xAC");
  EXPECT_EQ(feed(s, Bytes(g.begin(), g.begin() + 7)).status, Status::NeedMore);
}

// Autobahn 6.4.2/6.4.4: the bytes that make a text message invalid may end mid-sequence.
// An unfinished code point that can no longer become valid fails at once, on the fragment
// (or partial frame) that carries it, not when the rest of the message arrives.
TEST(WsParse, InvalidUtf8PrefixFailsFast) {
  const char* bad_tails[] = {"\xF4\x90",  // beyond U+10FFFF
                             "\xED\xA0",  // UTF-16 surrogate
                             "\xE0\x80",  // overlong 3-byte
                             "\xF0\x80",  // overlong 4-byte
                             "\xC0",       // lead of an overlong 2-byte form
                             "\xC1",
                             "\xF5",       // leads past U+10FFFF
                             "\xF7\xBF\xBF"};
  for (const char* tail : bad_tails) {
    std::string first = std::string("\xCE\xBA\xE1\xBD\xB9") + tail;
    Parser p;  // as its own non-final fragment
    EXPECT_EQ(feed(p, frame(Opcode::Text, first, false)).error, close_code::kInvalidPayload) << first;
    Parser q;  // as the first chunk of one frame that says more is coming
    Bytes f = frame(Opcode::Text, first + "more text after it");
    EXPECT_EQ(feed(q, Bytes(f.begin(), f.begin() + 6 + first.size())).error, close_code::kInvalidPayload)
        << first;
  }
  // Prefixes that can still finish wait for their continuation bytes.
  for (const char* tail : {"\xF4\x8F", "\xED\x9F", "\xE0\xA0", "\xF0\x90\x80", "\xC2", "\xF4"}) {
    Parser p;
    EXPECT_EQ(feed(p, frame(Opcode::Text, std::string("ab") + tail, false)).status, Status::NeedMore) << tail;
  }
}

TEST(WsParse, CloseCodes) {
  for (uint16_t code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                        3999, 4000, 4999}) {
    Result r = feed_new(frame(Opcode::Close, close_payload(code, "why \xE2\x82\xAC")));
    EXPECT_EQ(r.got, (std::vector<Got>{{Opcode::Close, "why \xE2\x82\xAC", code}})) << code;
    EXPECT_TRUE(valid_received_close_code(code));
  }
  for (uint16_t code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999,
                        5000, 65535}) {
    EXPECT_EQ(error_of(frame(Opcode::Close, close_payload(code))), close_code::kProtocolError) << code;
  }
  EXPECT_EQ(feed_new(frame(Opcode::Close, "")).got,
            (std::vector<Got>{{Opcode::Close, "", close_code::kNoStatus}}));
  EXPECT_EQ(error_of(frame(Opcode::Close, close_payload(1000, "\xFF"))), close_code::kInvalidPayload);
  EXPECT_EQ(feed_new(frame(Opcode::Close, close_payload(1000, std::string(123, 'r')))).got.size(), 1u);
}

TEST(WsParse, PartialFramesAreCopiedAndLargeBuffersReleased) {
  std::string payload(200 * 1024, 'q');
  Bytes f = frame(Opcode::Binary, payload, true, {7, 7, 7, 7});
  Parser p;
  Message m;
  std::span<uint8_t> in(f.data(), 1024);
  EXPECT_EQ(p.next(in, m), Status::NeedMore);
  EXPECT_GE(p.buffered_bytes(), 1024u - 14);  // the held bytes are visible to the caller
  size_t pos = 1024;
  Status st = Status::NeedMore;
  while (pos < f.size() && st == Status::NeedMore) {
    size_t n = std::min<size_t>(4096, f.size() - pos);
    in = std::span<uint8_t>(f.data() + pos, n);
    pos += n;
    st = p.next(in, m);
  }
  ASSERT_EQ(st, Status::Message);
  EXPECT_EQ(payload_of(m), payload);
  EXPECT_LE(p.buffered_bytes(), 2 * payload.size());
  std::span<uint8_t> none;
  EXPECT_EQ(p.next(none, m), Status::NeedMore);
  EXPECT_EQ(p.buffered_bytes(), 0u);  // an idle parser holds nothing after a big message
}

TEST(WsParse, SplitControlFrameDoesNotDisturbHeldFragments) {
  Parser p;
  Bytes s = cat({frame(Opcode::Text, "first ", false), frame(Opcode::Ping, "ping payload"),
                 frame(Opcode::Continuation, "second")});
  size_t ping_mid = frame(Opcode::Text, "first ", false).size() + 9;
  Result r = feed(p, s, {ping_mid});
  EXPECT_EQ(r.got, (std::vector<Got>{{Opcode::Ping, "ping payload"}, {Opcode::Text, "first second"}}));
}
