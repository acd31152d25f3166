// Long-polling payloads: separator, binary as b+base64, server frames to packets.
#include "proto/eio/eio_payload.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/ws/ws_frame.h"

using namespace roomcast::eio;

namespace {

std::span<const uint8_t> bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST(EioPayload, SplitsOnRecordSeparator) {
  std::vector<PayloadPacket> out;
  ASSERT_EQ(decode_payload("40\x1e" "42[\"a\"]\x1e" "3", out), PayloadError::None);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[0].text, "40");
  EXPECT_EQ(out[1].text, "42[\"a\"]");
  EXPECT_EQ(out[2].text, "3");
  for (auto& p : out) EXPECT_FALSE(p.binary);
}

TEST(EioPayload, SingleTextPacketKeepsEverythingButTheSeparator) {
  std::vector<PayloadPacket> out;
  ASSERT_EQ(decode_payload("42[\"a,b\\u001e\"]", out), PayloadError::None);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].text, "42[\"a,b\\u001e\"]");
}

TEST(EioPayload, BinaryIsBase64) {
  std::vector<PayloadPacket> out;
  ASSERT_EQ(decode_payload("451-[\"e\",{\"_placeholder\":true,\"num\":0}]\x1e" "bAAEC/w==", out), PayloadError::None);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[1].binary);
  EXPECT_EQ(out[1].bytes, std::string("\x00\x01\x02\xff", 4));
}

TEST(EioPayload, ErrorsAsTheReferenceDecoderSeesThem) {
  std::vector<PayloadPacket> out;
  EXPECT_EQ(decode_payload("", out), PayloadError::Empty);
  EXPECT_EQ(decode_payload("40\x1e", out), PayloadError::EmptyPacket);
  EXPECT_EQ(decode_payload("\x1e" "40", out), PayloadError::EmptyPacket);
  EXPECT_EQ(decode_payload("7", out), PayloadError::BadType);
  EXPECT_EQ(decode_payload("x", out), PayloadError::BadType);
  EXPECT_EQ(decode_payload("bAAECAw==", out), PayloadError::None);
  // Node would read unpadded base64 too; clients always pad, and strict is safer.
  EXPECT_EQ(decode_payload("bAAE", out), PayloadError::BadBase64);
  EXPECT_EQ(decode_payload("bAA=E", out), PayloadError::BadBase64);
  EXPECT_EQ(decode_payload("b!!!!", out), PayloadError::BadBase64);
  EXPECT_EQ(decode_payload("bAAEC/w=", out), PayloadError::BadBase64);
  EXPECT_EQ(decode_payload("3\x1e" "3\x1e" "3", out, 2), PayloadError::TooManyPackets);
  EXPECT_EQ(decode_payload("3\x1e" "3", out, 2), PayloadError::None);
}

TEST(EioPayload, Base64RoundTripsEveryLength) {
  std::string in;
  for (int n = 0; n < 40; ++n) {
    std::string enc = base64_encode(bytes(in));
    EXPECT_EQ(enc.size() % 4, 0u);
    std::string dec;
    ASSERT_TRUE(base64_decode(enc, dec)) << enc;
    EXPECT_EQ(dec, in);
    in.push_back(char(n * 37 + 11));
  }
}

// RFC 4648 section 10's vectors: every padding case (the bench harness's WebSocket keys use
// this encoder too).
TEST(EioPayload, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(base64_encode(bytes("")), "");
  EXPECT_EQ(base64_encode(bytes("f")), "Zg==");
  EXPECT_EQ(base64_encode(bytes("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(bytes("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(bytes("foob")), "Zm9vYg==");
  EXPECT_EQ(base64_encode(bytes("fooba")), "Zm9vYmE=");
  EXPECT_EQ(base64_encode(bytes("foobar")), "Zm9vYmFy");
}

TEST(EioPayload, EncodeJoinsWithSeparator) {
  std::string p;
  append_text(p, "2");
  append_text(p, "42[\"x\"]");
  const uint8_t bin[] = {0xde, 0xad};
  append_binary(p, bin);
  EXPECT_EQ(p, "2\x1e" "42[\"x\"]\x1e" "b3q0=");
}

TEST(EioPayload, ServerFramesBecomePackets) {
  std::string frames = roomcast::ws::encode_frame(roomcast::ws::Opcode::Text, "451-[\"e\",{\"_placeholder\":true,\"num\":0}]");
  frames += roomcast::ws::encode_frame(roomcast::ws::Opcode::Binary, std::string("\x01\x02\x03", 3));
  frames += roomcast::ws::encode_close(1000);  // control frames are not packets
  std::string big(70000, 'x');
  frames += roomcast::ws::encode_frame(roomcast::ws::Opcode::Text, "4" + big);
  std::string p = "2";
  ASSERT_TRUE(append_server_frames(p, bytes(frames)));
  EXPECT_EQ(p, "2\x1e" "451-[\"e\",{\"_placeholder\":true,\"num\":0}]\x1e" "bAQID\x1e" "4" + big);
  std::vector<PayloadPacket> back;
  ASSERT_EQ(decode_payload(p, back), PayloadError::None);
  ASSERT_EQ(back.size(), 4u);
  EXPECT_EQ(back[2].bytes, std::string("\x01\x02\x03", 3));
}

TEST(EioPayload, TruncatedOrMaskedFramesAppendNothing) {
  std::string frame = roomcast::ws::encode_frame(roomcast::ws::Opcode::Text, "42[\"abc\"]");
  std::string p = "keep";
  EXPECT_FALSE(append_server_frames(p, bytes(std::string_view(frame).substr(0, frame.size() - 1))));
  std::string masked = frame;
  masked[1] = char(masked[1] | 0x80);
  EXPECT_FALSE(append_server_frames(p, bytes(masked)));
  std::string not_final = frame;
  not_final[0] = char(not_final[0] & 0x7f);
  EXPECT_FALSE(append_server_frames(p, bytes(frame + not_final)));
  EXPECT_EQ(p, "keep");
}
