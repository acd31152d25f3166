// The measured payload: publish packets the engine's decoder accepts, stamps read back
// from "message" events exactly, and the non-message cases told apart.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "../../bench/harness/payload.h"
#include "util/json_text.h"
#include "proto/sio/sio_packet.h"

namespace pl = roomcast::bench::payload;
namespace sio = roomcast::sio;
namespace json = roomcast::json;

namespace {

std::string publish_text(std::string_view nsp_prefix, std::string_view room, size_t pad, const pl::Stamp& s) {
  pl::PublishEncoder enc(nsp_prefix, room, pad);
  std::string buf(enc.max_size(), '\0');
  buf.resize(enc.write(buf.data(), s));
  return buf;
}

// What a server relays: the payload argument re-emitted as `message`.
std::string relayed(const std::string& publish_packet) {
  sio::Packet p;
  EXPECT_EQ(sio::decode(std::string_view(publish_packet).substr(1), p), sio::DecodeError::None);
  std::vector<std::string_view> args;
  EXPECT_TRUE(sio::split_array(p.data, args));
  EXPECT_EQ(args.size(), 3u);
  return "[\"message\"," + std::string(args.at(2)) + "]";
}

}  // namespace

TEST(BenchPayload, PublishPacketIsAValidSocketIoEvent) {
  const pl::Stamp s{12, 445, 1234567890};
  for (std::string_view nsp : {"", "/chat,"}) {
    const std::string text = publish_text(nsp, "room-3", 64, s);
    ASSERT_EQ(text[0], '4');  // Engine.IO message
    sio::Packet p;
    ASSERT_EQ(sio::decode(std::string_view(text).substr(1), p), sio::DecodeError::None) << text;
    EXPECT_EQ(p.type, sio::Type::Event);
    EXPECT_EQ(p.nsp, nsp.empty() ? "/" : "/chat");
    EXPECT_FALSE(p.ack_id.has_value());
    std::vector<std::string_view> args;
    ASSERT_TRUE(sio::split_array(p.data, args));
    ASSERT_EQ(args.size(), 3u);
    EXPECT_EQ(args[0], "\"publish\"");
    EXPECT_EQ(args[1], "\"room-3\"");
    const auto str = json::parse_string(args[2]);
    ASSERT_TRUE(str.has_value());
    EXPECT_EQ(str->size(), 64u);
    EXPECT_EQ(str->substr(0, 22), "p12:s445:t1234567890:x");
  }
}

TEST(BenchPayload, PaddingHonoursTheSizeUnlessTheStampIsLonger) {
  char buf[2048];
  const pl::Stamp s{7, 1, 99};
  EXPECT_EQ(pl::write_payload(buf, 1000, s), 1000u);
  EXPECT_EQ(std::string(buf + 995, 5), "xxxxx");
  const size_t n = pl::write_payload(buf, 1, s);
  EXPECT_EQ(std::string(buf, n), "p7:s1:t99:");
  const pl::Stamp big{UINT32_MAX, UINT64_MAX, UINT64_MAX};
  EXPECT_EQ(pl::write_payload(buf, 0, big), pl::kMaxStampBytes);
}

TEST(BenchPayload, StampsRoundTripThroughARelayedMessage) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    pl::Stamp s;
    s.publisher = uint32_t(rng() >> (rng() % 33));
    s.seq = rng() >> (rng() % 64);
    s.t_ns = rng() >> (rng() % 64);
    const size_t pad = rng() % 300;
    const std::string msg = relayed(publish_text("", "room-" + std::to_string(i), pad, s));
    pl::Stamp got;
    ASSERT_EQ(pl::parse_message(msg, got), pl::Parse::Ok) << msg;
    EXPECT_EQ(got.publisher, s.publisher);
    EXPECT_EQ(got.seq, s.seq);
    EXPECT_EQ(got.t_ns, s.t_ns);
  }
}

TEST(BenchPayload, ToleratesWhitespaceInsideTheArray) {
  pl::Stamp got;
  ASSERT_EQ(pl::parse_message("[ \"message\" , \"p1:s2:t3:xx\" ]", got), pl::Parse::Ok);
  EXPECT_EQ(got.publisher, 1u);
  EXPECT_EQ(got.seq, 2u);
  EXPECT_EQ(got.t_ns, 3u);
}

TEST(BenchPayload, OtherEventsAreNotMessages) {
  pl::Stamp got;
  EXPECT_EQ(pl::parse_message("[\"echo\",\"p1:s2:t3:\"]", got), pl::Parse::NotMessage);
  EXPECT_EQ(pl::parse_message("[\"other\",\"message\"]", got), pl::Parse::NotMessage);
  EXPECT_EQ(pl::parse_message("[\"messages\",\"p1:s2:t3:\"]", got), pl::Parse::NotMessage);
  EXPECT_EQ(pl::parse_message("{}", got), pl::Parse::NotMessage);
  EXPECT_EQ(pl::parse_message("", got), pl::Parse::NotMessage);
}

TEST(BenchPayload, ForeignMessagesAreMalformed) {
  pl::Stamp got;
  for (std::string_view bad : {
           "[\"message\",\"hello\"]", "[\"message\",42]", "[\"message\"]", "[\"message\",\"p:s1:t1:\"]",
           "[\"message\",\"p1:s:t1:\"]", "[\"message\",\"p1:s1:t:\"]", "[\"message\",\"p1:s1:t1\"]",
           "[\"message\",\"p1s1t1:\"]", "[\"message\",\"p99999999999:s1:t1:\"]",
           "[\"message\",\"p1:s123456789012345678901:t1:\"]"}) {
    EXPECT_EQ(pl::parse_message(bad, got), pl::Parse::Malformed) << bad;
  }
}

TEST(BenchPayload, RawPublishIsPubRoomPayloadAndTheStampReadsBack) {
  const pl::Stamp s{7, 99, 5551234};
  pl::PublishEncoder enc = pl::PublishEncoder::raw("room-2", 64);
  std::string buf(enc.max_size(), '\0');
  buf.resize(enc.write(buf.data(), s));
  ASSERT_EQ(buf.rfind("pub room-2 ", 0), 0u) << buf;
  const std::string payload = buf.substr(11);
  EXPECT_EQ(payload.size(), 64u);
  EXPECT_EQ(payload.find_first_of(" \"]"), std::string::npos) << payload;
  pl::Stamp got;
  ASSERT_EQ(pl::parse_stamp(payload, got), pl::Parse::Ok);
  EXPECT_EQ(got.publisher, 7u);
  EXPECT_EQ(got.seq, 99u);
  EXPECT_EQ(got.t_ns, 5551234u);
  EXPECT_EQ(pl::parse_stamp("ok", got), pl::Parse::Malformed);
  EXPECT_EQ(pl::parse_stamp("p1:s2:t3", got), pl::Parse::Malformed);  // stamp must end with ':'
}
