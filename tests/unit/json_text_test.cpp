// The engine's one JSON string-literal writer and reader (json_text.h): escapes as
// JSON.stringify, reads back what JSON.parse would, ill-formed UTF-8 -> U+FFFD both ways;
// checked against a byte-at-a-time model of the writer.
#include "util/json_text.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>

#include "proto/sio/sio_packet.h"

using namespace roomcast;

namespace {

// The writer as the spec reads, one byte at a time with a decoded code point check: what
// the word-at-a-time version must match byte for byte.
std::string naive_literal(std::string_view s) {
  std::string out = "\"";
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (c < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
          } else {
            out.push_back(char(c));
          }
      }
      ++i;
      continue;
    }
    // Decode one sequence the long way; any failure is one replacement for this byte.
    size_t n = c >= 0xF8 ? 0 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
    uint32_t cp = n == 4 ? c & 0x07u : n == 3 ? c & 0x0Fu : c & 0x1Fu;
    bool ok = n != 0 && i + n <= s.size();
    for (size_t k = 1; ok && k < n; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      ok = (d & 0xC0) == 0x80;
      cp = cp << 6 | (d & 0x3Fu);
    }
    const uint32_t min_cp = n == 2 ? 0x80 : n == 3 ? 0x800 : 0x10000;
    ok = ok && cp >= min_cp && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    if (ok) {
      out.append(s.substr(i, n));
      i += n;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  out.push_back('"');
  return out;
}

}  // namespace

TEST(JsonText, StringEscaping) {
  auto lit = [](std::string_view s) {
    std::string out;
    json::append_string(out, s);
    EXPECT_EQ(out.size(), json::string_size(s));
    return out;
  };
  EXPECT_EQ(lit(""), R"("")");
  EXPECT_EQ(lit("plain"), R"("plain")");
  EXPECT_EQ(lit("q\"b\\s/"), R"("q\"b\\s/")");
  EXPECT_EQ(lit("\b\f\n\r\t"), R"("\b\f\n\r\t")");
  EXPECT_EQ(lit(std::string_view("\x00\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(lit("é😀\u2028"), "\"é😀\u2028\"");  // JSON.stringify leaves these alone
  EXPECT_EQ(lit("a\xff" "b"), "\"a\xEF\xBF\xBD" "b\"");  // invalid UTF-8 -> U+FFFD
  EXPECT_EQ(lit("\xC0\xAF"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");  // overlong
  EXPECT_EQ(lit("\xED\xA0\x80"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // surrogate
  EXPECT_EQ(lit("\xF0\x9F\x98"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\"");  // truncated
}

TEST(JsonText, StringParsing) {
  EXPECT_EQ(json::parse_string(R"("")"), "");
  EXPECT_EQ(json::parse_string(R"("a\"b\\c\/d\b\f\n\r\t")"), "a\"b\\c/d\b\f\n\r\t");
  EXPECT_EQ(json::parse_string(R"("\u00e9\u20AC")"), "é€");
  EXPECT_EQ(json::parse_string(R"("\ud83d\ude00")"), "😀");
  EXPECT_EQ(json::parse_string(R"("\ud83dx")"), "\xEF\xBF\xBDx");  // lone surrogate
  EXPECT_EQ(json::parse_string(R"("\ude00")"), "\xEF\xBF\xBD");
  EXPECT_EQ(json::parse_string("\"é\""), "é");
  for (auto bad : {"", "\"", "abc", "\"abc", "\"\\\"", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
                   "\"a\"b\"", "\"\x01\"", "1", "\"\\u\""}) {
    EXPECT_FALSE(json::parse_string(bad)) << bad;
  }
}

TEST(JsonText, RandomStringsRoundTrip) {
  std::mt19937 rng(7);
  for (int n = 0; n < 2000; ++n) {
    std::string s(rng() % 40, '\0');
    for (char& c : s) c = char(rng() % 2 ? rng() % 128 : rng() % 256);
    std::string lit;
    json::append_string(lit, s);
    ASSERT_EQ(lit.size(), json::string_size(s));
    ASSERT_TRUE(sio::json_valid(lit)) << lit;
    auto back = json::parse_string(lit);
    ASSERT_TRUE(back);
    // Valid UTF-8 comes back unchanged; invalid bytes only ever become U+FFFD.
    std::string again;
    json::append_string(again, *back);
    EXPECT_EQ(again, lit);
    if (lit.find("\xEF\xBF\xBD") == std::string::npos) {
      EXPECT_EQ(*back, s);
    }
  }
}

TEST(JsonText, MatchesTheByteAtATimeModel) {
  std::mt19937 rng(11);
  for (int n = 0; n < 20000; ++n) {
    std::string s(rng() % 48, '\0');
    // Mostly text, with runs long enough for the 8-byte fast path, and every kind of byte.
    for (char& c : s) c = char(rng() % 4 ? 'a' + rng() % 26 : rng() % 256);
    std::string lit;
    json::append_string(lit, s);
    ASSERT_EQ(lit, naive_literal(s)) << testing::PrintToString(s);
    ASSERT_EQ(lit.size(), json::string_size(s));
  }
}

TEST(JsonText, RawIllFormedUtf8InALiteralReadsAsReplacement) {
  EXPECT_EQ(json::parse_string("\"a\xff" "b\""), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(json::parse_string("\"\xF0\x9F\x98\""), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(json::parse_string("\"\xF0\x9F\x98\x80\""), "\xF0\x9F\x98\x80");
}

TEST(JsonText, StringEnd) {
  EXPECT_EQ(json::string_end(R"("ab" x)", 0), 4u);
  EXPECT_EQ(json::string_end(R"("a\"b")", 0), 6u);
  EXPECT_EQ(json::string_end(R"(x"a")", 1), 4u);
  EXPECT_EQ(json::string_end(R"("abc)", 0), std::string_view::npos);
  EXPECT_EQ(json::string_end(R"("ab\")", 0), std::string_view::npos);
}
