// Encode-once wire frames: exact bytes, WebSocket framing, attachments and forwarding, and
// a property test that parses random encodings back with the decoder.
#include "proto/sio/wire_encode.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "util/json_text.h"
#include "proto/sio/sio_packet.h"

using namespace roomcast;
using namespace roomcast::detail;

namespace {

struct Release {
  void operator()(SharedFrame* f) const { f->release(); }
};
using FramePtr = std::unique_ptr<SharedFrame, Release>;

struct WsFrame {
  uint8_t first = 0;  // FIN, RSV, opcode
  size_t header = 0;
  std::string payload;
};

// An independent reading of RFC 6455 server frames (unmasked, minimal length encoding).
std::vector<WsFrame> parse_frames(std::span<const uint8_t> b) {
  std::vector<WsFrame> out;
  size_t i = 0;
  while (i + 2 <= b.size()) {
    WsFrame f;
    f.first = b[i];
    EXPECT_EQ(b[i + 1] & 0x80, 0) << "server frames are not masked";
    uint64_t len = b[i + 1] & 0x7F;
    f.header = 2;
    if (len == 126) {
      len = uint64_t(b[i + 2]) << 8 | b[i + 3];
      f.header = 4;
      EXPECT_GE(len, 126u);
    } else if (len == 127) {
      len = 0;
      for (size_t k = 0; k < 8; ++k) len = len << 8 | b[i + 2 + k];
      f.header = 10;
      EXPECT_GT(len, 0xFFFFu);
    }
    if (i + f.header + len > b.size()) break;
    f.payload.assign(reinterpret_cast<const char*>(b.data()) + i + f.header, len);
    i += f.header + len;
    out.push_back(std::move(f));
  }
  EXPECT_EQ(i, b.size()) << "trailing bytes";
  return out;
}

// What a client gets: the packet text (without the Engine.IO '4') and the attachments.
struct Received {
  std::string text;
  std::vector<std::string> attachments;
  sio::Packet packet;
  sio::DecodeError error = sio::DecodeError::Empty;
};

void receive(const SharedFrame* f, Received& r) {
  std::vector<WsFrame> frames = parse_frames(f->bytes());
  ASSERT_FALSE(frames.empty());
  ASSERT_EQ(frames[0].first, 0x81) << "FIN + text";
  ASSERT_FALSE(frames[0].payload.empty());
  ASSERT_EQ(frames[0].payload[0], '4');
  r.text = frames[0].payload.substr(1);
  for (size_t i = 1; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].first, 0x82) << "FIN + binary";
    r.attachments.push_back(frames[i].payload);
  }
  r.error = sio::decode(r.text, r.packet, 1000);
  EXPECT_EQ(r.error, sio::DecodeError::None) << r.text;
  EXPECT_EQ(r.packet.attachments, r.attachments.size());
}

std::string text_of(const FramePtr& f) {
  std::vector<WsFrame> frames = parse_frames(f->bytes());
  return frames.empty() ? std::string() : frames[0].payload;
}

FramePtr event(std::string_view nsp, std::string_view ev, std::vector<Arg> args,
               std::optional<uint64_t> ack = std::nullopt) {
  return FramePtr(encode_event(nsp, ev, args, ack));
}

std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

const std::string kPh0 = R"({"_placeholder":true,"num":0})";

}  // namespace

TEST(WireEncode, PlainEvents) {
  EXPECT_EQ(text_of(event("/", "hello", {})), R"(42["hello"])");
  EXPECT_EQ(text_of(event("", "hello", {})), R"(42["hello"])");
  EXPECT_EQ(text_of(event("/chat", "hello", {})), R"(42/chat,["hello"])");
  EXPECT_EQ(text_of(event("/chat", "hello", {}, 12)), R"(42/chat,12["hello"])");
  EXPECT_EQ(text_of(event("/", "foo", {}, 12)), R"(4212["foo"])");
  EXPECT_EQ(text_of(event("/", "ev", {"s", RawJson{R"({"a":1})"}, 1, 2.5, true, int64_t(-7)})),
            R"(42["ev","s",{"a":1},1,2.5,true,-7])");
  EXPECT_EQ(text_of(event("/", "a\"b\\", {"x\ny", RawJson{""}})), R"(42["a\"b\\","x\ny",null])");
  // The whole buffer is one text frame.
  FramePtr f = event("/", "e", {"x"});
  EXPECT_EQ(f->size(), 2 + std::string(R"(42["e","x"])").size());
  EXPECT_EQ(f->bytes()[0], 0x81);
}

TEST(WireEncode, Acks) {
  std::vector<Arg> bar{"bar"};
  EXPECT_EQ(text_of(FramePtr(encode_ack("/admin", 13, bar))), R"(43/admin,13["bar"])");
  EXPECT_EQ(text_of(FramePtr(encode_ack("/", 456, {}))), "43456[]");
  std::string bytes = "\x01\x02\x03\x04";
  std::vector<Arg> bin{"bar", Binary{bytes_of(bytes)}};
  FramePtr f(encode_ack("/", 15, bin));
  Received r;
  receive(f.get(), r);
  EXPECT_EQ(r.text, "61-15[\"bar\"," + kPh0 + "]");
  EXPECT_EQ(r.packet.type, sio::Type::BinaryAck);
  EXPECT_EQ(r.attachments, std::vector<std::string>{bytes});
}

TEST(WireEncode, BinaryEvent) {
  std::string a = "\x01\x02", b = "\x03\x04", empty;
  FramePtr f = event("/admin", "baz", {Binary{bytes_of(a)}, Binary{bytes_of(b)}, Binary{}});
  Received r;
  receive(f.get(), r);
  EXPECT_EQ(r.text, R"(53-/admin,["baz",{"_placeholder":true,"num":0},)"
                    R"({"_placeholder":true,"num":1},{"_placeholder":true,"num":2}])");
  EXPECT_EQ(r.attachments, (std::vector<std::string>{a, b, empty}));
  // Byte-exact frame layout: text frame, then raw binary frames with no type byte.
  std::vector<WsFrame> frames = parse_frames(f->bytes());
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[1].header, 2u);
  EXPECT_EQ(frames[1].payload, a);
}

TEST(WireEncode, ForwardsByteForByte) {
  std::string in = R"(2["ev", 1.0 ,1e3,"\u00e9",{"b":1,"a":[2,-0]},"q\"\\",1E+2])";
  sio::Packet p;
  ASSERT_EQ(sio::decode(in, p), sio::DecodeError::None);
  auto args = Args::from_array(std::string(p.data), 1);
  ASSERT_TRUE(args);
  std::vector<Arg> fwd = args->forward();
  EXPECT_EQ(text_of(event("/room", "ev2", fwd)),
            R"(42/room,["ev2",1.0,1e3,"\u00e9",{"b":1,"a":[2,-0]},"q\"\\",1E+2])");
  // A forwarded packet with attachments but no placeholders in this argument stays plain.
  auto bin = Args::from_array(R"(["ev",{"k":1}])", 1, {"unused"});
  EXPECT_EQ(text_of(event("/", "x", bin->forward())), R"(42["x",{"k":1}])");
}

TEST(WireEncode, RenumbersPlaceholdersFromTwoPackets) {
  auto a = Args::from_array(R"(["a",{"x":{ "_placeholder" : true , "num" : 0 }},"s"])", 1, {"A0"});
  auto b = Args::from_array(R"(["b",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}])",
                            1, {"B0", "B1"});
  ASSERT_TRUE(a && b);
  std::string c = "C";
  std::vector<Arg> args{(*a)[0], Binary{bytes_of(c)}, (*b)[0], (*b)[1], (*a)[1]};
  FramePtr f(encode_event("/", "ev", args, 9));
  Received r;
  receive(f.get(), r);
  EXPECT_EQ(r.text, R"(54-9["ev",{"x":{"_placeholder":true,"num":0}},)"
                    R"({"_placeholder":true,"num":1},{"_placeholder":true,"num":2},)"
                    R"({"_placeholder":true,"num":3},"s"])");
  EXPECT_EQ(r.attachments, (std::vector<std::string>{"A0", "C", "B1", "B0"}));
}

TEST(WireEncode, PlaceholderWithoutAttachmentBecomesNull) {
  std::vector<std::string> atts{"only"};
  std::string json = R"([{"_placeholder":true,"num":0},{"_placeholder":true,"num":5}])";
  std::vector<Arg> args{ArgRef{json, &atts}};
  FramePtr f = event("/", "e", args);
  Received r;
  receive(f.get(), r);
  EXPECT_EQ(r.text, "51-[\"e\",[" + kPh0 + ",null]]");
  EXPECT_EQ(r.attachments, atts);
}

TEST(WireEncode, FrameHeaderLengths) {
  for (size_t len : {size_t(0), size_t(125), size_t(126), size_t(127), size_t(65535),
                     size_t(65536), size_t(70000)}) {
    std::string text(len, 'x');
    FramePtr t(encode_text(text));
    std::vector<uint8_t> expect{0x81};
    if (len < 126) {
      expect.push_back(uint8_t(len));
    } else if (len <= 0xFFFF) {
      expect.insert(expect.end(), {126, uint8_t(len >> 8), uint8_t(len)});
    } else {
      expect.push_back(127);
      for (int i = 7; i >= 0; --i) expect.push_back(uint8_t(uint64_t(len) >> (8 * i)));
    }
    ASSERT_EQ(t->size(), expect.size() + len);
    EXPECT_TRUE(std::equal(expect.begin(), expect.end(), t->data())) << len;

    if (len < 10) continue;
    // The same lengths through encode_event: `42["e","` + s + `"]` is 10 bytes plus s.
    std::string s(len - 10, 'y');
    FramePtr e = event("/", "e", {s});
    ASSERT_EQ(e->size(), expect.size() + len);
    EXPECT_TRUE(std::equal(expect.begin(), expect.end(), e->data())) << len;
    // ... and as an attachment frame.
    FramePtr b = event("/", "e", {Binary{bytes_of(text)}});
    std::vector<WsFrame> frames = parse_frames(b->bytes());
    ASSERT_EQ(frames.size(), 2u);
    EXPECT_EQ(frames[1].header, expect.size());
    EXPECT_EQ(frames[1].payload, text);
  }
}

TEST(WireEncode, RefsAndText) {
  SharedFrame* f = encode_text("2", 3);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(f->data()), f->size()), "\x81\x01" "2");
  f->release();
  f->release();
  f->release();  // the third release frees it (leak-checked under ASan)
}

// Property: random arguments -> encode_event -> frames -> decode -> the same arguments.
TEST(WireEncode, RandomArgsRoundTrip) {
  std::mt19937 rng(1234);
  auto pick = [&](size_t n) { return size_t(rng() % n); };
  const std::vector<std::string> json_values{
      "0", "-1.5e-7", "1.0", "true", "null", R"({"b":[1,{"c":"]"}],"a":"\u00e9"})", "[]",
      R"("a\"b")", "18446744073709552000"};
  // A source packet whose arguments are forwarded, with attachments.
  auto src = Args::from_array(
      R"(["src",{"_placeholder":true,"num":1},{"k":[{"_placeholder":true,"num":0}]},7])", 1,
      {"S0", std::string("S\0" "1", 3)});
  ASSERT_TRUE(src);
  auto resolve = [](std::string_view json, const std::vector<std::string>& atts) {
    // Replaces each placeholder by its attachment so values compare across renumbering.
    std::string out;
    sio::PlaceholderScanner scan(json);
    sio::Placeholder p;
    size_t at = 0;
    while (scan.next(p)) {
      out.append(json.substr(at, p.begin - at));
      out.append("<" + atts.at(p.num) + ">");
      at = p.end;
    }
    out.append(json.substr(at));
    return out;
  };

  for (int round = 0; round < 500; ++round) {
    std::vector<std::string> strings(8), blobs(8);
    std::vector<Arg> args;
    std::vector<std::string> expect;  // resolved raw JSON per argument
    size_t n = pick(8);
    for (size_t i = 0; i < n; ++i) {
      switch (pick(4)) {
        case 0: {
          strings[i].resize(pick(300));
          for (char& c : strings[i]) c = char(pick(3) ? 0x20 + pick(95) : pick(128));
          if (pick(4) == 0) strings[i] += "é😀";
          args.emplace_back(strings[i]);
          std::string lit;
          json::append_string(lit, strings[i]);
          expect.push_back(lit);
          break;
        }
        case 1:
          args.emplace_back(RawJson{json_values[pick(json_values.size())]});
          expect.push_back(std::string(args.back().text()));
          break;
        case 2:
          blobs[i].resize(pick(200));
          for (char& c : blobs[i]) c = char(pick(256));
          args.emplace_back(Binary{bytes_of(blobs[i])});
          expect.push_back("<" + blobs[i] + ">");
          break;
        default: {
          size_t k = pick(src->size());
          args.emplace_back((*src)[k]);
          expect.push_back(resolve(src->raw(k), src->attachments()));
        }
      }
    }
    std::string nsp = pick(2) ? "/" : "/n" + std::to_string(pick(100));
    std::string ev = "ev\"" + std::to_string(round);
    std::optional<uint64_t> ack;
    if (pick(2)) ack = uint64_t(rng()) * 1000;
    FramePtr f(encode_event(nsp, ev, args, ack));
    Received r;
    receive(f.get(), r);
    ASSERT_EQ(r.error, sio::DecodeError::None) << r.text;
    EXPECT_EQ(r.packet.nsp, nsp);
    EXPECT_EQ(r.packet.ack_id, ack);
    auto got = Args::from_array(std::string(r.packet.data), 0, r.attachments);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->size(), n + 1);
    EXPECT_EQ(got->str(0), ev);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(resolve(got->raw(i + 1), got->attachments()), expect[i]) << r.text;
      if (args[i].kind() == Arg::Kind::String) {
        EXPECT_EQ(got->str(i + 1), strings[i]);
      }
      if (args[i].kind() == Arg::Kind::Binary) {
        auto b = got->binary(i + 1);
        ASSERT_TRUE(b);
        EXPECT_EQ(std::string(b->begin(), b->end()), blobs[i]);
      }
    }
  }
}
