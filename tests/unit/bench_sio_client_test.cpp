// The bench client's reading of incoming packets and the set-up packets it writes.
#include <gtest/gtest.h>

#include "../../bench/harness/sio_client.h"
#include "proto/sio/sio_packet.h"

namespace sioc = roomcast::bench::sioc;
namespace sio = roomcast::sio;
using K = sioc::Kind;

TEST(BenchSioClient, EngineIoPacketKinds) {
  EXPECT_EQ(sioc::classify("0{\"sid\":\"x\"}", "/").kind, K::Open);
  EXPECT_EQ(sioc::classify("0{\"sid\":\"x\"}", "/").data, "{\"sid\":\"x\"}");
  EXPECT_EQ(sioc::classify("1", "/").kind, K::Close);
  EXPECT_EQ(sioc::classify("2", "/").kind, K::Ping);
  EXPECT_EQ(sioc::classify("3", "/").kind, K::Pong);
  EXPECT_EQ(sioc::classify("6", "/").kind, K::Noop);
  EXPECT_EQ(sioc::classify("", "/").kind, K::Bad);
  EXPECT_EQ(sioc::classify("9", "/").kind, K::Bad);
  EXPECT_EQ(sioc::classify("4", "/").kind, K::Bad);
}

TEST(BenchSioClient, SocketIoPacketsOnTheMainNamespace) {
  auto c = sioc::classify("40{\"sid\":\"abc\"}", "/");
  EXPECT_EQ(c.kind, K::ConnectOk);
  EXPECT_EQ(c.data, "{\"sid\":\"abc\"}");
  c = sioc::classify("431[\"ok\"]", "/");
  EXPECT_EQ(c.kind, K::Ack);
  EXPECT_EQ(c.ack_id, 1u);
  EXPECT_EQ(c.data, "[\"ok\"]");
  c = sioc::classify("42[\"message\",\"p1:s1:t1:\"]", "/");
  EXPECT_EQ(c.kind, K::Event);
  EXPECT_FALSE(c.has_ack_id);
  EXPECT_EQ(c.data, "[\"message\",\"p1:s1:t1:\"]");
  c = sioc::classify("4217[\"question\",1]", "/");
  EXPECT_EQ(c.kind, K::Event);
  EXPECT_EQ(c.ack_id, 17u);
  EXPECT_EQ(sioc::classify("44{\"message\":\"no\"}", "/").kind, K::ConnectError);
  EXPECT_EQ(sioc::classify("41", "/").kind, K::Disconnect);
  EXPECT_EQ(sioc::classify("43[\"ok\"]", "/").kind, K::Bad);  // an ack needs an id
  EXPECT_EQ(sioc::classify("451-[\"b\",{}]", "/").kind, K::Bad);  // binary: not in the contract
}

TEST(BenchSioClient, NamespacesAreMatchedExactly) {
  auto c = sioc::classify("40/chat,{\"sid\":\"a\"}", "/chat");
  EXPECT_EQ(c.kind, K::ConnectOk);
  EXPECT_EQ(c.data, "{\"sid\":\"a\"}");
  c = sioc::classify("43/chat,1[\"ok\"]", "/chat");
  EXPECT_EQ(c.kind, K::Ack);
  EXPECT_EQ(c.ack_id, 1u);
  EXPECT_EQ(sioc::classify("42/chat,[\"message\",\"x\"]", "/chat").kind, K::Event);
  EXPECT_EQ(sioc::classify("41/chat", "/chat").kind, K::Disconnect);  // namespace ends at the end
  EXPECT_EQ(sioc::classify("42/chatty,[\"message\",\"x\"]", "/chat").kind, K::OtherNamespace);
  EXPECT_EQ(sioc::classify("42[\"message\",\"x\"]", "/chat").kind, K::OtherNamespace);
  EXPECT_EQ(sioc::classify("42/chat,[\"message\",\"x\"]", "/").kind, K::OtherNamespace);
}

TEST(BenchSioClient, SetUpPacketsDecode) {
  for (std::string_view nsp : {"/", "/chat"}) {
    const std::string conn = sioc::connect_packet(nsp);
    sio::Packet p;
    ASSERT_EQ(sio::decode(std::string_view(conn).substr(1), p), sio::DecodeError::None) << conn;
    EXPECT_EQ(p.type, sio::Type::Connect);
    EXPECT_EQ(p.nsp, nsp);
    const std::string join = sioc::join_packet(nsp, "room-7", 1);
    ASSERT_EQ(sio::decode(std::string_view(join).substr(1), p), sio::DecodeError::None) << join;
    EXPECT_EQ(p.type, sio::Type::Event);
    EXPECT_EQ(p.nsp, nsp);
    ASSERT_TRUE(p.ack_id.has_value());
    EXPECT_EQ(*p.ack_id, 1u);
    EXPECT_EQ(p.data, "[\"join\",\"room-7\"]");
  }
  EXPECT_EQ(sioc::connect_packet("/"), "40");
  EXPECT_EQ(sioc::connect_packet("/a"), "40/a,");
}

TEST(BenchSioClient, OkAck) {
  EXPECT_TRUE(sioc::is_ok_ack("[\"ok\"]"));
  EXPECT_TRUE(sioc::is_ok_ack(" [ \"ok\" ] "));
  EXPECT_FALSE(sioc::is_ok_ack("[\"ok\",1]"));
  EXPECT_FALSE(sioc::is_ok_ack("[\"no\"]"));
  EXPECT_FALSE(sioc::is_ok_ack("[]"));
  EXPECT_FALSE(sioc::is_ok_ack("\"ok\""));
  EXPECT_FALSE(sioc::is_ok_ack(""));
}
