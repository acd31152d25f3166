// The baseline must be a fair competitor: it has to speak exactly what the
// load generator expects, in both write modes, or its numbers mean nothing.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "ceiling_server.h"
#include "sio_min.h"
#include "ws_min.h"

using namespace ceiling;

namespace {

std::string mask_frame(WsOp op, std::string_view payload, bool fin = true) {
  std::string out;
  out.push_back(static_cast<char>((fin ? 0x80 : 0) | static_cast<uint8_t>(op)));
  if (payload.size() < 126) {
    out.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() <= 0xffff) {
    out.push_back(static_cast<char>(0x80 | 126));
    out.push_back(static_cast<char>(payload.size() >> 8));
    out.push_back(static_cast<char>(payload.size() & 0xff));
  } else {
    out.push_back(static_cast<char>(0x80 | 127));
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<char>((uint64_t{payload.size()} >> (8 * i)) & 0xff));
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  out.append(mask, 4);
  for (size_t i = 0; i < payload.size(); ++i) out.push_back(static_cast<char>(payload[i] ^ mask[i & 3]));
  return out;
}

}  // namespace

TEST(WsMin, AcceptKeyMatchesRfcExample) {
  EXPECT_EQ(accept_key("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WsMin, ParsesMaskedFramesOfEachLengthForm) {
  for (size_t len : {0u, 5u, 125u, 126u, 300u, 65535u, 65536u, 100000u}) {
    std::string payload(len, '\0');
    for (size_t i = 0; i < len; ++i) payload[i] = static_cast<char>('a' + i % 26);
    std::string wire = mask_frame(WsOp::Text, payload) + "tail";
    const ClientFrame f = parse_client_frame({wire.data(), wire.size()}, 1 << 20);
    ASSERT_EQ(f.status, FrameStatus::Ok) << len;
    EXPECT_EQ(f.payload, payload) << len;
    EXPECT_EQ(f.consumed, wire.size() - 4) << len;
    // Every strict prefix is incomplete, never misread.
    std::string again = mask_frame(WsOp::Text, payload);
    for (size_t cut : {size_t{0}, size_t{1}, again.size() / 2, again.size() - 1}) {
      std::string part = again.substr(0, cut);
      EXPECT_EQ(parse_client_frame({part.data(), part.size()}, 1 << 20).status, FrameStatus::NeedMore) << len << "/" << cut;
    }
  }
}

TEST(WsMin, RefusesUnmaskedOversizedAndRsvFrames) {
  std::string unmasked = "\x81\x02hi";
  EXPECT_EQ(parse_client_frame({unmasked.data(), unmasked.size()}, 100).status, FrameStatus::Bad);
  std::string big = mask_frame(WsOp::Text, std::string(200, 'x'));
  EXPECT_EQ(parse_client_frame({big.data(), big.size()}, 100).status, FrameStatus::Bad);
  std::string rsv = mask_frame(WsOp::Text, "x");
  rsv[0] = static_cast<char>(rsv[0] | 0x40);
  EXPECT_EQ(parse_client_frame({rsv.data(), rsv.size()}, 100).status, FrameStatus::Bad);
}

TEST(WsMin, ServerHeaderLengthForms) {
  char h[10];
  EXPECT_EQ(server_frame_header(WsOp::Text, 125, h), 2u);
  EXPECT_EQ(static_cast<uint8_t>(h[1]), 125);
  EXPECT_EQ(server_frame_header(WsOp::Text, 126, h), 4u);
  EXPECT_EQ(static_cast<uint8_t>(h[2]), 0);
  EXPECT_EQ(static_cast<uint8_t>(h[3]), 126);
  EXPECT_EQ(server_frame_header(WsOp::Binary, 70000, h), 10u);
  EXPECT_EQ(static_cast<uint8_t>(h[0]), 0x82);
  EXPECT_EQ((static_cast<uint8_t>(h[7]) << 16) | (static_cast<uint8_t>(h[8]) << 8) | static_cast<uint8_t>(h[9]), 70000);
}

TEST(WsMin, UpgradeNeedsWebSocketTransportAndKey) {
  const std::string ok =
      "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\nUPGRADE: WebSocket\r\n"
      "sec-websocket-key:  abc== \r\n\r\nextra";
  Upgrade u = parse_upgrade(ok);
  EXPECT_TRUE(u.complete);
  EXPECT_TRUE(u.websocket);
  EXPECT_EQ(u.key, "abc==");
  EXPECT_EQ(u.header_len, ok.size() - 5);
  EXPECT_FALSE(parse_upgrade(ok.substr(0, 40)).complete);
  EXPECT_FALSE(parse_upgrade("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nUpgrade: websocket\r\n"
                             "Sec-WebSocket-Key: a\r\n\r\n").websocket);
  EXPECT_FALSE(parse_upgrade("GET /socket.io/?EIO=3&transport=websocket HTTP/1.1\r\nUpgrade: websocket\r\n"
                             "Sec-WebSocket-Key: a\r\n\r\n").websocket);
  EXPECT_FALSE(parse_upgrade("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nUpgrade: websocket\r\n\r\n").websocket);
}

TEST(SioMin, ParsesTheLoadPath) {
  Command c = parse_command("40");
  EXPECT_EQ(c.kind, CmdKind::Connect);
  EXPECT_EQ(c.nsp, "/");
  c = parse_command("40/chat,{\"token\":1}");
  EXPECT_EQ(c.kind, CmdKind::Connect);
  EXPECT_EQ(c.nsp, "/chat");
  c = parse_command("40/chat");
  EXPECT_EQ(c.kind, CmdKind::Connect);
  EXPECT_EQ(c.nsp, "/chat");

  c = parse_command("4217[\"join\",\"r\\\"1\"]");
  EXPECT_EQ(c.kind, CmdKind::Join);
  EXPECT_EQ(c.ack_id, "17");
  EXPECT_EQ(c.room, "r\\\"1");

  c = parse_command("42/chat,[\"publish\",\"room\",{\"a\":[1,\"]\"]},\"x\"]");
  EXPECT_EQ(c.kind, CmdKind::Publish);
  EXPECT_EQ(c.nsp, "/chat");
  EXPECT_EQ(c.room, "room");
  EXPECT_EQ(c.args, "{\"a\":[1,\"]\"]},\"x\"");

  c = parse_command("42[\"publish\",\"room\"]");
  EXPECT_EQ(c.kind, CmdKind::Publish);
  EXPECT_TRUE(c.args.empty());

  c = parse_command("42[\"broadcast\",1,2]");
  EXPECT_EQ(c.kind, CmdKind::Broadcast);
  EXPECT_EQ(c.args, "1,2");
}

TEST(SioMin, IgnoresOrRefusesTheRest) {
  EXPECT_EQ(parse_command("3").kind, CmdKind::Ignore);
  EXPECT_EQ(parse_command("42[\"echo\",1]").kind, CmdKind::Ignore);
  EXPECT_EQ(parse_command("41").kind, CmdKind::Ignore);
  EXPECT_EQ(parse_command("42[1,2]").kind, CmdKind::Ignore);
  EXPECT_EQ(parse_command("42[\"join\",5]").kind, CmdKind::Ignore);
  EXPECT_EQ(parse_command("").kind, CmdKind::Bad);
  EXPECT_EQ(parse_command("1").kind, CmdKind::Bad);
  EXPECT_EQ(parse_command("42{\"a\":1}").kind, CmdKind::Bad);
  EXPECT_EQ(parse_command("42[\"publish").kind, CmdKind::Bad);
}

TEST(SioMin, Builders) {
  EXPECT_EQ(connect_reply("/", "S"), "40{\"sid\":\"S\"}");
  EXPECT_EQ(connect_reply("/chat", "S"), "40/chat,{\"sid\":\"S\"}");
  EXPECT_EQ(join_ack("/", "3"), "433[\"ok\"]");
  EXPECT_EQ(join_ack("/x", "3"), "43/x,3[\"ok\"]");
  EXPECT_EQ(message_packet("/", "1,\"a\""), "42[\"message\",1,\"a\"]");
  EXPECT_EQ(message_packet("/x", ""), "42/x,[\"message\"]");
  EXPECT_EQ(open_packet("abc", 25000, 20000, 1000000),
            "0{\"sid\":\"abc\",\"upgrades\":[],\"pingInterval\":25000,\"pingTimeout\":20000,\"maxPayload\":1000000}");
  EXPECT_EQ(make_sid(1).size(), 20u);
  EXPECT_NE(make_sid(1), make_sid(2));
}

// ---- end to end over loopback, a raw client in each write mode ----

namespace {

class Client {
 public:
  explicit Client(uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{5, 0};  // every read is bounded
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  ~Client() { ::close(fd_); }

  bool ok() const { return ok_; }

  void send_raw(std::string_view s) {
    while (!s.empty()) {
      const ssize_t n = ::write(fd_, s.data(), s.size());
      if (n <= 0) return;
      s.remove_prefix(static_cast<size_t>(n));
    }
  }
  void send_text(std::string_view s) { send_raw(mask_frame(WsOp::Text, s)); }

  // Reads until the HTTP answer's blank line; returns the header block.
  std::string read_http() {
    while (buf_.find("\r\n\r\n") == std::string::npos)
      if (!fill()) return {};
    const size_t end = buf_.find("\r\n\r\n") + 4;
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end);
    return head;
  }

  // Next server frame's payload; "<closed>" when the connection ended or timed out.
  std::string read_frame(uint8_t* opcode = nullptr) {
    for (;;) {
      if (buf_.size() >= 2) {
        const auto b1 = static_cast<uint8_t>(buf_[1]);
        uint64_t len = b1 & 0x7f;
        size_t pos = 2;
        if (len == 126 && buf_.size() >= 4) {
          len = (uint64_t{static_cast<uint8_t>(buf_[2])} << 8) | static_cast<uint8_t>(buf_[3]);
          pos = 4;
        } else if (len == 127 && buf_.size() >= 10) {
          len = 0;
          for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<uint8_t>(buf_[2 + i]);
          pos = 10;
        }
        if ((len < 126 || pos > 2) && buf_.size() >= pos + len) {
          if (opcode != nullptr) *opcode = static_cast<uint8_t>(buf_[0]) & 0x0f;
          std::string p = buf_.substr(pos, len);
          buf_.erase(0, pos + len);
          return p;
        }
      }
      if (!fill()) return "<closed>";
    }
  }

  // Upgrade, check the open packet, connect to `nsp`.
  void handshake(std::string_view nsp = "/") {
    send_raw("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
             "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
    const std::string head = read_http();
    ASSERT_NE(head.find("101"), std::string::npos) << head;
    ASSERT_NE(head.find("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), std::string::npos) << head;
    const std::string open = read_frame();
    ASSERT_TRUE(open.starts_with("0{\"sid\":\"")) << open;
    ASSERT_NE(open.find("\"upgrades\":[]"), std::string::npos) << open;
    send_text(nsp == "/" ? std::string("40") : "40" + std::string(nsp) + ",");
    const std::string reply = read_frame();
    const std::string want = nsp == "/" ? "40{\"sid\":\"" : "40" + std::string(nsp) + ",{\"sid\":\"";
    ASSERT_TRUE(reply.starts_with(want)) << reply;
  }

  void join(std::string_view room, int ack) {
    send_text("42" + std::to_string(ack) + "[\"join\",\"" + std::string(room) + "\"]");
    ASSERT_EQ(read_frame(), "43" + std::to_string(ack) + "[\"ok\"]");
  }

 private:
  bool fill() {
    char tmp[65536];
    const ssize_t n = ::read(fd_, tmp, sizeof tmp);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool ok_ = false;
  std::string buf_;
};

class Running {
 public:
  explicit Running(WriteMode mode, size_t max_queue = 1 << 20) : server_(make_opts(mode, max_queue)) {
    std::string err;
    listening_ = server_.listen(err);
    if (listening_) thread_ = std::thread([this] { server_.run(); });
  }
  ~Running() {
    if (listening_) {
      server_.stop();
      thread_.join();
    }
  }
  bool listening() const { return listening_; }
  uint16_t port() const { return server_.port(); }

 private:
  static Options make_opts(WriteMode mode, size_t max_queue) {
    Options o;
    o.port = 0;
    o.mode = mode;
    o.max_send_queue = max_queue;
    return o;
  }
  Server server_;
  bool listening_ = false;
  std::thread thread_;
};

class EndToEnd : public ::testing::TestWithParam<WriteMode> {};

}  // namespace

TEST_P(EndToEnd, PublishReachesMembersOnlyWithArgumentsIntact) {
  Running srv(GetParam());
  ASSERT_TRUE(srv.listening());
  Client a(srv.port()), b(srv.port()), outsider(srv.port());
  ASSERT_TRUE(a.ok() && b.ok() && outsider.ok());
  a.handshake();
  b.handshake();
  outsider.handshake();
  a.join("r1", 0);
  b.join("r1", 1);
  outsider.join("r2", 2);

  const std::string args = "{\"t\":12345,\"s\":\"x\\\"y\"},[1,2]";
  a.send_text("42[\"publish\",\"r1\"," + args + "]");
  const std::string want = "42[\"message\"," + args + "]";
  EXPECT_EQ(a.read_frame(), want);  // the sender is a member, so it gets its own message
  EXPECT_EQ(b.read_frame(), want);

  // The outsider's next frame must be the broadcast, proving it missed the publish.
  b.send_text("42[\"broadcast\",\"all\"]");
  EXPECT_EQ(outsider.read_frame(), "42[\"message\",\"all\"]");
  EXPECT_EQ(a.read_frame(), "42[\"message\",\"all\"]");
  EXPECT_EQ(b.read_frame(), "42[\"message\",\"all\"]");
}

TEST_P(EndToEnd, NamespacesAreSeparateAndLargePayloadsArriveWhole) {
  Running srv(GetParam());
  ASSERT_TRUE(srv.listening());
  Client root(srv.port()), chat(srv.port());
  root.handshake();
  chat.handshake("/chat");
  root.join("r", 1);
  chat.send_text("42/chat,5[\"join\",\"r\"]");
  ASSERT_EQ(chat.read_frame(), "43/chat,5[\"ok\"]");

  std::string big(200002, 'z');
  big.front() = big.back() = '"';
  chat.send_text("42/chat,[\"publish\",\"r\"," + big + "]");
  EXPECT_EQ(chat.read_frame(), "42/chat,[\"message\"," + big + "]");
  root.send_text("42[\"publish\",\"r\",1]");
  EXPECT_EQ(root.read_frame(), "42[\"message\",1]");  // not the /chat message
}

TEST_P(EndToEnd, ManyQueuedMessagesKeepTheirOrder) {
  Running srv(GetParam());
  ASSERT_TRUE(srv.listening());
  Client pub(srv.port()), sub(srv.port());
  pub.handshake();
  sub.handshake();
  sub.join("r", 1);
  // Enough to fill the socket buffers, so part of it waits in the send queue.
  const int kMessages = 3000;
  const std::string pad(1000, 'p');
  std::string burst;
  for (int i = 0; i < kMessages; ++i) burst += mask_frame(WsOp::Text, "42[\"publish\",\"r\"," + std::to_string(i) + ",\"" + pad + "\"]");
  std::thread writer([&] { pub.send_raw(burst); });
  int got = 0;
  for (; got < kMessages; ++got) {
    const std::string m = sub.read_frame();
    if (m != "42[\"message\"," + std::to_string(got) + ",\"" + pad + "\"]") break;
  }
  writer.join();
  EXPECT_EQ(got, kMessages);
}

TEST_P(EndToEnd, AnswersPingsAndClosesAndRefusesPolling) {
  Running srv(GetParam());
  ASSERT_TRUE(srv.listening());
  Client c(srv.port());
  c.handshake();
  c.send_raw(mask_frame(WsOp::Ping, "hb"));
  uint8_t op = 0;
  EXPECT_EQ(c.read_frame(&op), "hb");
  EXPECT_EQ(op, static_cast<uint8_t>(WsOp::Pong));
  c.send_raw(mask_frame(WsOp::Close, "\x03\xe8"));
  EXPECT_EQ(c.read_frame(&op), "\x03\xe8");
  EXPECT_EQ(op, static_cast<uint8_t>(WsOp::Close));
  EXPECT_EQ(c.read_frame(), "<closed>");

  Client poll(srv.port());
  poll.send_raw("GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string head = poll.read_http();
  EXPECT_NE(head.find("400"), std::string::npos) << head;
}

TEST_P(EndToEnd, SlowConsumerIsClosed) {
  Running srv(GetParam(), 64 * 1024);
  ASSERT_TRUE(srv.listening());
  Client pub(srv.port()), slow(srv.port());
  pub.handshake();
  slow.handshake();
  slow.join("r", 1);
  pub.join("other", 2);
  // `slow` never reads: its queue passes 64 KiB after the kernel buffers fill.
  const std::string pad(60000, 'q');
  for (int i = 0; i < 400; ++i) pub.send_text("42[\"publish\",\"r\",\"" + pad + "\"]");
  // Drain what the kernel holds, then the stream must end instead of hanging.
  std::string last;
  for (int i = 0; i < 10000 && last != "<closed>"; ++i) last = slow.read_frame();
  EXPECT_EQ(last, "<closed>");
}

INSTANTIATE_TEST_SUITE_P(Modes, EndToEnd, ::testing::Values(WriteMode::PerMessage, WriteMode::Batched),
                         [](const auto& info) { return info.param == WriteMode::PerMessage ? "write" : "writev"; });
