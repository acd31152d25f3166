// The hex fixtures below are notepack.io 3.0.1's encode() output (the parser of
// @socket.io/redis-adapter 8.3.0 and @socket.io/redis-emitter 5.1.0), and the expected JSON
// is what JSON.stringify gives for notepack.decode of them in Node 20.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cluster/wire/adapter_protocol.h"
#include "proto/msgpack/msgpack_codec.h"

using namespace roomcast;
using namespace roomcast::detail;

namespace {

std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(char(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

std::string hex(std::string_view b) {
  static const char d[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

struct Json {
  bool ok;
  std::string json;
  std::vector<std::string> att;
};

Json to_json(std::string_view bytes) {
  Json j;
  mp::Reader r(bytes);
  j.ok = mp::to_json(r, j.json, j.att) && r.at_end();
  return j;
}

std::span<const uint8_t> span_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST(MsgpackToJson, IntegersOfEveryWidth) {
  auto j = to_json(unhex(
      "dc001500017fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000ffe0d0dfd080d1ff7fd18000d2ffff7fffd28"
      "0000000d3ffffffff7fffffffcf0020000000000000d3ffe0000000000000"));
  ASSERT_TRUE(j.ok);
  EXPECT_EQ(j.json,
            "[0,1,127,128,255,256,65535,65536,4294967295,4294967296,-1,-32,-33,-128,-129,-32768,-32769,"
            "-2147483648,-2147483649,9007199254740992,-9007199254740992]");
}

TEST(MsgpackToJson, FloatsPrintLikeJs) {
  auto j = to_json(unhex(
      "9bcb3fe0000000000000cbbff4000000000000cf35c9adc5dea00000cb3e7ad7f29abcaf48cb419d6f3454800000cf00000000000000"
      "00cb0000000000000001cb3fb999999999999acb7ff8000000000000cb7ff000000000000000"));
  ASSERT_TRUE(j.ok);
  // notepack's integer path mangles integral values >= 2^53 (1e21 comes back as
  // 3875820019684212700, 1.79e308 as 0); Node decodes exactly this, so do we.
  EXPECT_EQ(j.json, "[0.5,-1.25,3875820019684212700,1e-7,123456789.125,0,5e-324,0.1,null,null,0]");
  std::string s;
  for (double v : {1e-6, 123e-20, 1e20, 1.5e300, -2.5e-9, 100.0, 0.000123}) {
    mp::append_js_number(s, v);
    s.push_back(' ');
  }
  EXPECT_EQ(s, "0.000001 1.23e-18 100000000000000000000 1.5e+300 -2.5e-9 100 0.000123 ");
}

TEST(MsgpackToJson, StringsEscapedLikeJsonStringify) {
  std::string bytes = unhex("94a0a96122625c630a09017fa9c3a9e282acf09f9880d928") + std::string(40, 'x');
  auto k = to_json(bytes);
  ASSERT_TRUE(k.ok);
  EXPECT_EQ(k.json, "[\"\",\"a\\\"b\\\\c\\n\\t\\u0001\x7f\",\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"" +
                        std::string(40, 'x') + "\"]");
  auto bad = to_json(unhex("a3ff41c3"));  // invalid UTF-8 bytes
  ASSERT_TRUE(bad.ok);
  EXPECT_EQ(bad.json, "\"\xef\xbf\xbd" "A\xef\xbf\xbd\"");
}

TEST(MsgpackToJson, MapsKeepOrderAndDropUndefined) {
  auto j = to_json(unhex("83a16201a16193c3c2c0a16381a164a165"));
  ASSERT_TRUE(j.ok);
  EXPECT_EQ(j.json, R"({"b":1,"a":[true,false,null],"c":{"d":"e"}})");
  // Legacy undefined (fixext1 type 0): dropped as a member, null in an array.
  auto u = to_json(unhex("82a161d40000a16292d4000001"));
  ASSERT_TRUE(u.ok);
  EXPECT_EQ(u.json, R"({"b":[null,1]})");
  auto num_key = to_json(unhex("810701"));
  ASSERT_TRUE(num_key.ok);
  EXPECT_EQ(num_key.json, R"({"7":1})");
  EXPECT_FALSE(to_json(unhex("81c301")).ok);  // a bool key has no JSON form
}

TEST(MsgpackToJson, BinaryBecomesAttachments) {
  auto j = to_json(unhex("81a16192c4010981a162c400"));
  ASSERT_TRUE(j.ok);
  EXPECT_EQ(j.json, R"({"a":[{"_placeholder":true,"num":0},{"b":{"_placeholder":true,"num":1}}]})");
  ASSERT_EQ(j.att.size(), 2u);
  EXPECT_EQ(j.att[0], "\x09");
  EXPECT_EQ(j.att[1], "");
  auto ab = to_json(unhex("c70300aabbcc"));  // ext 8 type 0: notepack's ArrayBuffer
  ASSERT_TRUE(ab.ok);
  EXPECT_EQ(ab.json, R"({"_placeholder":true,"num":0})");
  EXPECT_EQ(ab.att.at(0), "\xaa\xbb\xcc");
  auto other = to_json(unhex("d505aabb"));  // fixext2 type 5: [type, Buffer]
  ASSERT_TRUE(other.ok);
  EXPECT_EQ(other.json, R"([5,{"_placeholder":true,"num":0}])");
  EXPECT_EQ(other.att.at(0), "\xaa\xbb");
}

TEST(MsgpackToJson, TimestampsBecomeIsoStrings) {
  auto a = to_json(unhex("d7ff1d5353006553f100"));
  auto b = to_json(unhex("d6ff6553f100"));
  auto c = to_json(unhex("c70cff3b8b87c0ffffffffffffffff"));
  ASSERT_TRUE(a.ok && b.ok && c.ok);
  EXPECT_EQ(a.json, "\"2023-11-14T22:13:20.123Z\"");
  EXPECT_EQ(b.json, "\"2023-11-14T22:13:20.000Z\"");
  EXPECT_EQ(c.json, "\"1969-12-31T23:59:59.999Z\"");
}

TEST(MsgpackToJson, HostileInputIsRefused) {
  EXPECT_FALSE(to_json(unhex("dd7fffffff")).ok);         // 2^31 items announced, none there
  EXPECT_FALSE(to_json(unhex("c6ffffffff00")).ok);       // bin longer than the input
  EXPECT_FALSE(to_json(unhex("c1")).ok);                 // never-used byte
  EXPECT_FALSE(to_json(std::string(1000, char(0x91))).ok);  // nested too deep
  EXPECT_FALSE(to_json("").ok);
  std::string deep_ok(mp::kMaxDepth, char(0x91));
  deep_ok.push_back(char(0xc0));
  EXPECT_TRUE(to_json(deep_ok).ok);
}

// An ext of an unknown type reads as [type, <bytes>], one level deeper than the ext: at the
// depth limit it is refused, since the JSON it would give could not be written back (found by
// msgpack_codec_fuzz: to_json took it, json_to_msgpack refused its output).
TEST(MsgpackToJson, UnknownExtAtTheDepthLimitIsRefused) {
  std::string at_limit(mp::kMaxDepth, char(0x91));
  at_limit += unhex("d4b53a");  // fixext1, type -75
  EXPECT_FALSE(to_json(at_limit).ok);
  std::string below(mp::kMaxDepth - 1, char(0x91));
  below += unhex("d4b53a");
  const auto r = to_json(below);
  ASSERT_TRUE(r.ok);
  std::string back;
  EXPECT_TRUE(mp::json_to_msgpack(r.json, back, &r.att));
}

TEST(JsonToMsgpack, MatchesNotepackBytes) {
  std::string out;
  ASSERT_TRUE(mp::json_to_msgpack(
      "[0,1,127,128,255,256,65535,65536,4294967295,4294967296,-1,-32,-33,-128,-129,-32768,-32769,-2147483648,"
      "-2147483649]",
      out));
  EXPECT_EQ(hex(out),
            "dc001300017fcc80ccffcd0100cdffffce00010000ceffffffffcf0000000100000000ffe0d0dfd080d1ff7fd18000d2ffff7fffd2"
            "80000000d3ffffffff7fffffff");
  out.clear();
  ASSERT_TRUE(mp::json_to_msgpack(R"( {"b" : 1, "a":[true,false,null],"c":{"d":"e"}} )", out));
  EXPECT_EQ(hex(out), "83a16201a16193c3c2c0a16381a164a165");
  out.clear();
  ASSERT_TRUE(mp::json_to_msgpack(R"([0.5,-1.25,1e-7,123456789.125,0.1,1.0,2e3])", out));
  EXPECT_EQ(hex(out),
            "97cb3fe0000000000000cbbff4000000000000cb3e7ad7f29abcaf48cb419d6f3454800000cb3fb999999999999a01cd07d0");
}

TEST(JsonToMsgpack, StringEscapesAndPlaceholders) {
  std::string out;
  std::vector<std::string> att{"\x01\x02"};
  ASSERT_TRUE(mp::json_to_msgpack(R"(["\u00e9\ud83d\ude00\n\"","\ud800",{"_placeholder":true,"num":0},{"_placeholder":true,"num":3}])", out, &att));
  EXPECT_EQ(hex(out), "94a8c3a9f09f98800a22a3efbfbdc4020102c0");
  for (const char* bad : {"", "[1,]", "{\"a\"}", "01", "1.", "\"\\x\"", "[1 2]", "tru", "\"a", "{\"a\":1,}", "-"}) {
    out.clear();
    EXPECT_FALSE(mp::json_to_msgpack(bad, out)) << bad;
  }
}

TEST(JsonToMsgpack, RoundTripsThroughReader) {
  for (const std::string& json : std::vector<std::string>{R"([1,"x",{"k":[null,true,-3.5,{"z":{}}]},[],1e+21,0.000001])",
                           R"({"a\"b":"\u0000\u001f"})", std::string("\"") + "\xf0\x9f\x98\x80" + "\""}) {
    std::string bytes;
    ASSERT_TRUE(mp::json_to_msgpack(json, bytes)) << json;
    auto back = to_json(bytes);
    ASSERT_TRUE(back.ok);
    EXPECT_EQ(back.json, json);
  }
}

TEST(AdapterProtocol, Channels) {
  EXPECT_EQ(adapter::broadcast_channel("socket.io", "/chat"), "socket.io#/chat#");
  std::vector<std::string> one{"r1"}, two{"a", "b"};
  EXPECT_EQ(adapter::publish_channel("socket.io", "/", one), "socket.io#/#r1#");
  EXPECT_EQ(adapter::publish_channel("socket.io", "/", two), "socket.io#/#");
  EXPECT_EQ(adapter::request_channel("socket.io", "/"), "socket.io-request#/#");
  EXPECT_EQ(adapter::response_channel("socket.io", "/x"), "socket.io-response#/x#");
  std::string_view room;
  ASSERT_TRUE(adapter::room_of_channel("socket.io#/#", "socket.io#/#", room));
  EXPECT_EQ(room, "");
  ASSERT_TRUE(adapter::room_of_channel("socket.io#/#", "socket.io#/#a#b#", room));
  EXPECT_EQ(room, "a#b");
  EXPECT_FALSE(adapter::room_of_channel("socket.io#/#", "socket.io#/chat#", room));
}

TEST(AdapterProtocol, DecodesEmitterMessage) {
  std::string m = unhex(
      "93a7656d697474657283a47479706502a46461746194a76d657373616765a26869c402010281a16ecb3ff8000000000000a36e7370a52f"
      "6368617483a5726f6f6d7391a27231a5666c61677380a665786365707491a178");
  adapter::RemoteBroadcast b;
  ASSERT_EQ(adapter::decode_broadcast(span_of(m), b), adapter::DecodeResult::Ok);
  EXPECT_EQ(b.uid, "emitter");
  EXPECT_EQ(b.nsp, "/chat");
  EXPECT_EQ(b.event, "message");
  EXPECT_EQ(b.args_json, R"(["hi",{"_placeholder":true,"num":0},{"n":1.5}])");
  ASSERT_EQ(b.attachments.size(), 1u);
  EXPECT_EQ(b.attachments[0], "\x01\x02");
  EXPECT_EQ(b.rooms, std::vector<std::string>{"r1"});
  EXPECT_EQ(b.except, std::vector<std::string>{"x"});
  std::string uid;
  ASSERT_TRUE(adapter::peek_uid(span_of(m), uid));
  EXPECT_EQ(uid, "emitter");
}

TEST(AdapterProtocol, AnyKeyOrderAndDefaults) {
  std::string m = unhex(
      "93a641623132436483a36e7370a12fa46461746192a76d65737361676501a4747970650283a665786365707490a5666c61677381a876"
      "6f6c6174696c65c3a5726f6f6d7392a161a162");
  adapter::RemoteBroadcast b;
  ASSERT_EQ(adapter::decode_broadcast(span_of(m), b), adapter::DecodeResult::Ok);
  EXPECT_EQ(b.uid, "Ab12Cd");
  EXPECT_EQ(b.nsp, "/");
  EXPECT_EQ(b.args_json, "[1]");
  EXPECT_EQ(b.rooms, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(b.except.empty());

  std::string no_nsp = unhex("93a47569643182a47479706502a46461746191a76d65737361676582a5726f6f6d7390a665786365707490");
  adapter::RemoteBroadcast c;
  ASSERT_EQ(adapter::decode_broadcast(span_of(no_nsp), c), adapter::DecodeResult::Ok);
  EXPECT_EQ(c.nsp, "/");
  EXPECT_EQ(c.args_json, "[]");

  std::string ack = unhex("93a47569643183a47479706503a46461746191a178a36e7370a12f82a5726f6f6d7390a665786365707490");
  adapter::RemoteBroadcast d;
  EXPECT_EQ(adapter::decode_broadcast(span_of(ack), d), adapter::DecodeResult::NotAnEvent);
  adapter::RemoteBroadcast e;
  EXPECT_EQ(adapter::decode_broadcast(span_of(ack.substr(0, ack.size() - 3)), e), adapter::DecodeResult::Malformed);
}

TEST(AdapterProtocol, EncodeThenDecode) {
  const uint8_t bin[] = {7, 8, 9};
  std::vector<std::string> fwd_att{"\xff"};
  Arg args[] = {Arg("h\"i"), Arg(42), Arg(RawJson{R"({"a":[1.5,null]})"}), Arg(Binary{bin}),
                Arg(ArgRef{R"({"x":{"_placeholder":true,"num":0}})", &fwd_att}), Arg(RawJson{})};
  std::vector<std::string> rooms{"r1"}, except{"sid0000000000000000a"};
  std::string out;
  ASSERT_TRUE(adapter::encode_broadcast(out, "me1234", "/chat", "message", args, rooms, except));
  adapter::RemoteBroadcast b;
  ASSERT_EQ(adapter::decode_broadcast(span_of(out), b), adapter::DecodeResult::Ok);
  EXPECT_EQ(b.uid, "me1234");
  EXPECT_EQ(b.nsp, "/chat");
  EXPECT_EQ(b.event, "message");
  EXPECT_EQ(b.args_json,
            R"(["h\"i",42,{"a":[1.5,null]},{"_placeholder":true,"num":0},{"x":{"_placeholder":true,"num":1}},null])");
  ASSERT_EQ(b.attachments.size(), 2u);
  EXPECT_EQ(b.attachments[0], std::string("\x07\x08\x09"));
  EXPECT_EQ(b.attachments[1], "\xff");
  EXPECT_EQ(b.rooms, rooms);
  EXPECT_EQ(b.except, except);

  Arg bad[] = {Arg(RawJson{"{oops"})};
  std::string o2;
  EXPECT_FALSE(adapter::encode_broadcast(o2, "u", "/", "e", bad, {}, {}));
}
