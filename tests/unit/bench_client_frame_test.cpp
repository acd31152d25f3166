// The bench client's WebSocket framing, checked against the engine's own server-side
// codec: masked client frames must pass the engine's strict parser, and frames from the
// engine's encoder must come out of the client parser unchanged.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "../../bench/harness/client_frame.h"
#include "proto/ws/ws_frame.h"

namespace wsc = roomcast::bench::wsc;
namespace ws = roomcast::ws;

namespace {

std::string random_text(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, ' ');
  for (char& c : s) c = char('a' + rng() % 26);
  return s;
}

const size_t kSizes[] = {0, 1, 7, 8, 9, 125, 126, 127, 1000, 65535, 65536, 100'000};

}  // namespace

TEST(BenchClientFrame, MaskedFramesPassTheServerParser) {
  for (size_t n : kSizes) {
    const std::string payload = random_text(n, uint32_t(n));
    std::string wire;
    wsc::append_masked(wire, wsc::Op::Text, payload, 0xA1B2C3D4u + uint32_t(n));
    ASSERT_EQ(wire.size(), wsc::masked_frame_size(n));
    // The payload bytes on the wire must actually be masked (unless the key is zero).
    if (n >= 8) {
      EXPECT_EQ(wire.find(payload.substr(0, 8)), std::string::npos) << n;
    }
    ws::Parser p(1 << 20);
    std::vector<uint8_t> bytes(wire.begin(), wire.end());
    std::span<uint8_t> in(bytes);
    ws::Message m{};
    ASSERT_EQ(p.next(in, m), ws::Status::Message) << n;
    EXPECT_EQ(m.opcode, ws::Opcode::Text);
    EXPECT_EQ(std::string(m.payload.begin(), m.payload.end()), payload) << n;
    EXPECT_TRUE(in.empty());
  }
}

TEST(BenchClientFrame, SeveralFramesInOneBufferKeepOrder) {
  std::string wire;
  wsc::append_masked(wire, wsc::Op::Text, "42[\"a\"]", 1);
  wsc::append_masked(wire, wsc::Op::Pong, "x", 2);
  wsc::append_masked(wire, wsc::Op::Text, "3", 3);
  std::vector<uint8_t> bytes(wire.begin(), wire.end());
  std::span<uint8_t> in(bytes);
  ws::Parser p;
  ws::Message m{};
  ASSERT_EQ(p.next(in, m), ws::Status::Message);
  EXPECT_EQ(std::string(m.payload.begin(), m.payload.end()), "42[\"a\"]");
  ASSERT_EQ(p.next(in, m), ws::Status::Message);
  EXPECT_EQ(m.opcode, ws::Opcode::Pong);
  ASSERT_EQ(p.next(in, m), ws::Status::Message);
  EXPECT_EQ(std::string(m.payload.begin(), m.payload.end()), "3");
}

TEST(BenchClientFrame, MaskIsItsOwnInverseAndMatchesBytewiseXor) {
  const uint8_t key[4] = {0x37, 0xfa, 0x21, 0x3d};
  for (size_t n : {0, 1, 3, 8, 15, 64, 1001}) {
    for (uint64_t offset : {0, 1, 6}) {  // the key's phase continues across chunks
      std::string s = random_text(n, 9);
      std::string m = s;
      ws::mask_payload(reinterpret_cast<uint8_t*>(m.data()), n, key, offset);
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(uint8_t(m[i]), uint8_t(s[i]) ^ key[(i + offset) % 4]) << i;
      ws::mask_payload(reinterpret_cast<uint8_t*>(m.data()), n, key, offset);
      EXPECT_EQ(m, s);
    }
  }
}

TEST(BenchClientFrame, ParsesServerFramesOfEverySize) {
  for (size_t n : kSizes) {
    const std::string payload = random_text(n, uint32_t(n) + 1);
    const std::string wire = ws::encode_frame(ws::Opcode::Text, payload) + "tail";
    wsc::ServerFrame f;
    size_t used = 0;
    ASSERT_EQ(wsc::parse_server_frame(wire, f, used), wsc::FrameStatus::Frame) << n;
    EXPECT_EQ(f.op, wsc::Op::Text);
    EXPECT_TRUE(f.fin);
    EXPECT_EQ(f.payload, payload);
    EXPECT_EQ(used, wire.size() - 4);
    // Every strict prefix of the frame is incomplete, never an error or a frame.
    for (size_t cut = 0; cut < used; cut += (used > 300 ? 97 : 1)) {
      ASSERT_EQ(wsc::parse_server_frame(std::string_view(wire).substr(0, cut), f, used = 0),
                wsc::FrameStatus::NeedMore)
          << n << " cut " << cut;
    }
  }
}

TEST(BenchClientFrame, ParsesControlAndFragmentFrames) {
  const std::string ping = ws::encode_frame(ws::Opcode::Ping, "hi");
  wsc::ServerFrame f;
  size_t used = 0;
  ASSERT_EQ(wsc::parse_server_frame(ping, f, used), wsc::FrameStatus::Frame);
  EXPECT_EQ(f.op, wsc::Op::Ping);
  EXPECT_EQ(f.payload, "hi");
  const std::string close = ws::encode_close(1001, "bye");
  ASSERT_EQ(wsc::parse_server_frame(close, f, used), wsc::FrameStatus::Frame);
  EXPECT_EQ(f.op, wsc::Op::Close);
  EXPECT_EQ(f.payload.substr(2), "bye");
  const std::string first = std::string("\x01\x03" "abc", 5);  // text, not final
  ASSERT_EQ(wsc::parse_server_frame(first, f, used), wsc::FrameStatus::Frame);
  EXPECT_FALSE(f.fin);
  EXPECT_EQ(f.op, wsc::Op::Text);
  const std::string last = std::string("\x80\x02" "de", 4);  // continuation, final
  ASSERT_EQ(wsc::parse_server_frame(last, f, used), wsc::FrameStatus::Frame);
  EXPECT_TRUE(f.fin);
  EXPECT_EQ(f.op, wsc::Op::Continuation);
}

TEST(BenchClientFrame, RejectsWhatAServerMustNotSend) {
  wsc::ServerFrame f;
  size_t used = 0;
  auto st = [&](std::string s) { return wsc::parse_server_frame(s, f, used, 1000); };
  EXPECT_EQ(st(std::string("\x81\x81" "abcdx", 7)), wsc::FrameStatus::Error);  // masked
  EXPECT_EQ(st(std::string("\xC1\x01" "a", 3)), wsc::FrameStatus::Error);      // RSV1
  EXPECT_EQ(st(std::string("\x83\x01" "a", 3)), wsc::FrameStatus::Error);      // opcode 3
  EXPECT_EQ(st(std::string("\x8B\x00", 2)), wsc::FrameStatus::Error);          // opcode 11
  EXPECT_EQ(st(std::string("\x09\x00", 2)), wsc::FrameStatus::Error);          // fragmented ping
  EXPECT_EQ(st(std::string("\x89\x7E\x00\x80", 4)), wsc::FrameStatus::Error);  // 128-byte ping
  EXPECT_EQ(st(std::string("\x81\x7E\x03\xE9", 4)), wsc::FrameStatus::Error);  // 1001 > max 1000
  EXPECT_EQ(st(std::string("\x82\x7F\x80\x00\x00\x00\x00\x00\x00\x00", 10)), wsc::FrameStatus::Error);
  EXPECT_EQ(st(std::string("\x81\x7E\x03\xE8", 4)), wsc::FrameStatus::NeedMore);  // 1000 is fine
}
