// Hostile and broken input against a running server, one case per row: the defined outcome
// (WebSocket close code or HTTP status), the fault counter for that reason, and a bystander
// client on the same shard that keeps receiving broadcasts before and after.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "engine_test_support.h"
#include "roomcast/server.h"
#include "ws_test_client.h"

using roomcast::Fault;
using roomcast::testing::WsTestClient;
using roomcast::testing::quiet_config;

namespace {

constexpr size_t kMaxPayload = 4096;

// A client frame built by hand: first byte as given, masked unless told otherwise. Length
// encodings as RFC 6455 5.2 (7-bit, 16-bit, 64-bit).
std::string frame(uint8_t b0, std::string_view payload, bool masked = true) {
  std::string f(1, char(b0));
  const uint8_t m = masked ? 0x80 : 0;
  size_t n = payload.size();
  if (n < 126) {
    f.push_back(char(m | n));
  } else if (n <= 0xFFFF) {
    f.push_back(char(m | 126));
    f.push_back(char(n >> 8));
    f.push_back(char(n));
  } else {
    f.push_back(char(m | 127));
    for (int i = 7; i >= 0; --i) f.push_back(char(uint64_t(n) >> (8 * i)));
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) f.append(key, 4);
  for (size_t i = 0; i < n; ++i) f.push_back(masked ? char(payload[i] ^ key[i % 4]) : payload[i]);
  return f;
}
std::string text(std::string_view p) { return frame(0x81, p); }
std::string close_frame(uint16_t code, std::string_view reason = {}) {
  std::string p{char(code >> 8), char(code & 0xFF)};
  return frame(0x88, p + std::string(reason));
}
// A header announcing `len` bytes with the 64-bit length form, masked, and no payload.
std::string huge_header(uint64_t len) {
  std::string f{char(0x82), char(0xFF)};
  for (int i = 7; i >= 0; --i) f.push_back(char(len >> (8 * i)));
  return f + std::string("\x01\x02\x03\x04", 4);
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

constexpr int kHttp = 0;  // the "bytes" are a raw HTTP request; expect is the status

struct Case {
  const char* name;
  std::string bytes;   // sent after upgrading and connecting to "/" (or the HTTP request)
  int expect;          // WebSocket close code the server sends, or the HTTP status
  Fault fault;
  bool http = false;
};

std::string placeholder(int n) { return "{\"_placeholder\":true,\"num\":" + std::to_string(n) + "}"; }

std::vector<Case> cases() {
  const std::string upgrade_tail = "Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n";
  const std::string path = "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n";
  const std::string key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
  std::vector<Case> v = {
      // ---- WebSocket framing
      {"OversizedMessage", text("42[\"big\",\"" + std::string(kMaxPayload, 'x') + "\"]"), 1009, Fault::WsTooBig},
      {"OversizedHeaderLength", huge_header(uint64_t(1) << 62), 1009, Fault::WsTooBig},
      {"HeaderLengthTopBitSet", huge_header(uint64_t(1) << 63), 1002, Fault::WsProtocol},
      {"FragmentsThatNeverEnd",
       frame(0x01, std::string(1000, 'a')) + repeat(frame(0x00, std::string(1000, 'a')), 5), 1009,
       Fault::WsTooBig},
      {"TooManyFragments", frame(0x01, "") + repeat(frame(0x00, ""), 1100), 1009, Fault::WsTooBig},
      {"ControlFrameOver125", frame(0x89, std::string(126, 'p')), 1002, Fault::WsProtocol},
      {"FragmentedControlFrame", frame(0x09, "p"), 1002, Fault::WsProtocol},
      {"UnmaskedFrame", frame(0x81, "42[\"x\"]", false), 1002, Fault::WsProtocol},
      {"Rsv1", frame(0xC1, "42[\"x\"]"), 1002, Fault::WsProtocol},
      {"Rsv2", frame(0xA1, "42[\"x\"]"), 1002, Fault::WsProtocol},
      {"Rsv3", frame(0x91, "42[\"x\"]"), 1002, Fault::WsProtocol},
      {"ReservedDataOpcode", frame(0x83, "x"), 1002, Fault::WsProtocol},
      {"ReservedControlOpcode", frame(0x8B, "x"), 1002, Fault::WsProtocol},
      {"ContinuationWithoutStart", frame(0x80, "x"), 1002, Fault::WsProtocol},
      {"NewMessageInsideFragmented", frame(0x01, "4") + frame(0x81, "2"), 1002, Fault::WsProtocol},
      {"CloseWithOneBytePayload", frame(0x88, "\x03"), 1002, Fault::WsProtocol},
      {"CloseCode1005", close_frame(1005), 1002, Fault::WsProtocol},
      {"CloseCode1015", close_frame(1015), 1002, Fault::WsProtocol},
      {"CloseCode2000", close_frame(2000), 1002, Fault::WsProtocol},
      {"InvalidUtf8", text("42[\"\xC0\xAF\"]"), 1007, Fault::WsInvalidUtf8},
      {"InvalidUtf8SplitAcrossFragments", frame(0x01, "42[\"\xE2") + frame(0x80, "\x28\xA1\"]"), 1007,
       Fault::WsInvalidUtf8},
      {"InvalidUtf8InCloseReason", close_frame(1000, "\xFF"), 1007, Fault::WsInvalidUtf8},
      // ---- Engine.IO
      {"EmptyEngineIoPacket", text(""), 1002, Fault::EioMalformed},
      {"UnknownEngineIoType", text("9"), 1002, Fault::EioMalformed},
      {"ClientPing", text("2"), 1002, Fault::EioUnexpected},
      {"ClientUpgradeOnWebSocket", text("5"), 1002, Fault::EioUnexpected},
      // ---- Socket.IO (closed like socket.io closes on a parse error)
      {"MalformedSocketIoType", text("4X"), 1000, Fault::SioMalformed},
      {"UnknownSocketIoType", text("47[\"x\"]"), 1000, Fault::SioMalformed},
      {"EventNotJson", text("42[\"x\""), 1000, Fault::SioMalformed},
      {"EventNotArray", text("42{\"x\":1}"), 1000, Fault::SioMalformed},
      {"AckIdOverflows", text("4299999999999999999999999[\"x\"]"), 1000, Fault::SioBadAckId},
      {"TooManyAttachments", text("4511-[\"x\"," + placeholder(0) + "]"), 1000, Fault::SioTooManyAttachments},
      {"AttachmentCountWithoutDash", text("452[\"x\"]"), 1000, Fault::SioMalformed},
      {"PlaceholdersDoNotMatchCount", text("452-[\"x\"," + placeholder(0) + "]"), 1000, Fault::SioMalformed},
      {"MissingAttachments",
       text("452-[\"x\"," + placeholder(0) + "," + placeholder(1) + "]") + frame(0x82, "a") + text("42[\"y\"]"),
       1000, Fault::SioMissingAttachments},
      {"UnannouncedBinary", frame(0x82, "\x01\x02"), 1000, Fault::SioUnexpectedBinary},
      {"EventToNamespaceNeverConnected", text("42/chat,[\"x\"]"), 1000, Fault::SioNotConnected},
      {"ClientSendsConnectError", text("44{\"message\":\"x\"}"), 1000, Fault::SioNotConnected},
      {"SecondConnect", text("40"), 1000, Fault::SioDuplicateConnect},
      {"ReservedEventConnect", text("42[\"connect\"]"), 1000, Fault::SioReservedEvent},
      {"ReservedEventDisconnecting", text("42[\"disconnecting\"]"), 1000, Fault::SioReservedEvent},
      {"ReservedEventNewListener", text("42[\"newListener\"]"), 1000, Fault::SioReservedEvent},
      // ---- HTTP, before the upgrade
      {"MalformedRequestLine", "GARBAGE\r\n\r\n", 400, Fault::HttpMalformed, true},
      {"HeaderWithoutColon", path + "Host x\r\n\r\n", 400, Fault::HttpMalformed, true},
      {"OversizedHeaders", path + "X-Pad: " + std::string(9000, 'p') + "\r\n\r\n", 431,
       Fault::HttpHeadersTooLarge, true},
      {"TooManyHeaders", path + repeat("X-A: b\r\n", 200) + "\r\n", 431, Fault::HttpHeadersTooLarge, true},
      {"MissingKey", path + upgrade_tail + "Sec-WebSocket-Version: 13\r\n\r\n", 400, Fault::WsBadUpgrade, true},
      {"BadKey", path + upgrade_tail + "Sec-WebSocket-Key: abc\r\nSec-WebSocket-Version: 13\r\n\r\n", 400,
       Fault::WsBadUpgrade, true},
      {"MissingUpgradeHeader", path + "Host: x\r\nConnection: Upgrade\r\n" + key + "Sec-WebSocket-Version: 13\r\n\r\n",
       400, Fault::WsBadUpgrade, true},
      {"WrongVersion", path + upgrade_tail + key + "Sec-WebSocket-Version: 12\r\n\r\n", 426, Fault::WsBadVersion,
       true},
      {"WrongPath", "GET /other HTTP/1.1\r\nHost: x\r\n\r\n", 404, Fault::HttpNotFound, true},
      {"UnknownMethod", "GARBAGE / HTTP/1.1\r\nHost: x\r\n\r\n", 501, Fault::HttpUnknownMethod, true},
      {"UnknownMethodOnEngineIoPath", "BREW /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n", 501,
       Fault::HttpUnknownMethod, true},
      {"LowercaseMethod", "get /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n\r\n", 501,
       Fault::HttpUnknownMethod, true},
      {"KnownMethodUnserved", "DELETE /other HTTP/1.1\r\nHost: x\r\n\r\n", 404, Fault::HttpNotFound, true},
      {"EngineIoV3", "GET /socket.io/?EIO=3&transport=websocket HTTP/1.1\r\nHost: x\r\n\r\n", 400,
       Fault::EioHandshake, true},
      {"UnknownTransport", "GET /socket.io/?EIO=4&transport=carrier-pigeon HTTP/1.1\r\nHost: x\r\n\r\n", 400,
       Fault::EioHandshake, true},
  };
  return v;
}

// One shard (bystander and offender on the same shard: the harder case), the payload bound
// the cases are written for, namespaces "/" and "/chat". Handlers are registered in `setup`,
// before start: the API does not allow it later.
struct Running : roomcast::testing::Running {
  static roomcast::Config config() {
    roomcast::Config cfg;
    cfg.shards = 1;
    cfg.max_payload = kMaxPayload;
    return cfg;
  }
  explicit Running(const std::function<void(roomcast::Server&)>& setup = {})
      : roomcast::testing::Running(config(), [&setup](roomcast::Server& s) {
          s.of("/chat");
          if (setup) setup(s);
        }) {}
};

class BadInput : public ::testing::TestWithParam<Case> {};

// A bystander gets broadcast number n.
void expect_delivery(roomcast::Server& server, WsTestClient& bystander, int n) {
  ASSERT_TRUE(server.of("/").emit("tick", n));
  EXPECT_EQ(bystander.read_text().value_or("(nothing)"), "42[\"tick\"," + std::to_string(n) + "]");
}

TEST_P(BadInput, DefinedOutcomeCountedOthersUnaffected) {
  const Case& c = GetParam();
  Running r;
  WsTestClient bystander;
  ASSERT_TRUE(bystander.connect(r.server->port()));
  bystander.send_text("40");
  ASSERT_TRUE(bystander.read_text());
  expect_delivery(*r.server, bystander, 1);
  const auto before = r.server->stats();

  WsTestClient bad;
  if (c.http) {
    std::string resp = bad.raw_http(r.server->port(), c.bytes);
    EXPECT_EQ(resp.rfind("HTTP/1.1 " + std::to_string(c.expect) + " ", 0), 0u) << resp;
    if (c.expect == 426) EXPECT_NE(resp.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos) << resp;
    size_t body = resp.find("\r\n\r\n");
    ASSERT_NE(body, std::string::npos) << resp;
    EXPECT_GT(resp.size(), body + 4) << "refusal without a body";
  } else {
    ASSERT_TRUE(bad.connect(r.server->port()));
    bad.send_text("40");
    ASSERT_TRUE(bad.read_text());
    bad.send_raw(c.bytes);
    // Whatever arrives first, the last frame before EOF is the close with the expected code.
    while (bad.read_text(3000, true)) {
    }
    EXPECT_EQ(bad.closed_code(), c.expect);
    EXPECT_TRUE(bad.wait_closed());
  }

  const auto after = r.server->stats();
  EXPECT_EQ(after.fault(c.fault), before.fault(c.fault) + 1) << roomcast::fault_name(c.fault);
  for (size_t f = 0; f < roomcast::kFaultCount; ++f)
    if (Fault(f) != c.fault) EXPECT_EQ(after.faults[f], before.faults[f]) << roomcast::fault_name(Fault(f));
  if (roomcast::is_handshake_fault(c.fault))
    EXPECT_EQ(after.handshake_errors, before.handshake_errors + 1);
  else
    EXPECT_EQ(after.protocol_errors, before.protocol_errors + 1);
  expect_delivery(*r.server, bystander, 2);
  // The offender's slot is freed (the close completes just after the peer sees EOF).
  for (int i = 0; i < 100 && r.server->stats().connections != 1; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(r.server->stats().connections, 1u);
}

INSTANTIATE_TEST_SUITE_P(Matrix, BadInput, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return std::string(i.param.name); });

// ---- Inputs that look odd but are valid: no fault, the connection stays.

struct Fixture {
  explicit Fixture(const std::function<void(roomcast::Server&)>& setup = {}) : r(setup) {}
  Running r;
  WsTestClient c;
  void connect() {
    ASSERT_TRUE(c.connect(r.server->port()));
    c.send_text("40");
    ASSERT_TRUE(c.read_text());
  }
  uint64_t faults() const {
    auto s = r.server->stats();
    uint64_t n = 0;
    for (auto f : s.faults) n += f;
    return n;
  }
};

TEST(BadInputValid, ControlFramesBetweenFragmentsAreAnswered) {
  Fixture f([](roomcast::Server& s) {
    s.of("/").on("m", [](roomcast::Socket& sock, const roomcast::Args& a, roomcast::Ack) {
      sock.emit_args("echo", a.forward());
    });
  });
  f.connect();
  // "42["m","abc"]" in three fragments with a ping and a pong between them.
  f.c.send_raw(frame(0x01, "42[\"m") + frame(0x89, "hi") + frame(0x00, "\",\"a") + frame(0x8A, "") +
               frame(0x80, "bc\"]"));
  auto pong = f.c.read_frame();
  ASSERT_TRUE(pong);
  EXPECT_EQ(pong->opcode, 0xA);
  EXPECT_EQ(pong->payload, "hi");
  EXPECT_EQ(f.c.read_text().value_or(""), "42[\"echo\",\"abc\"]");
  EXPECT_EQ(f.faults(), 0u);
}

TEST(BadInputValid, Utf8SplitAcrossFragmentsIsAccepted) {
  Fixture f([](roomcast::Server& s) {
    s.of("/").on("m", [](roomcast::Socket& sock, const roomcast::Args& a, roomcast::Ack) {
      sock.emit_args("echo", a.forward());
    });
  });
  f.connect();
  f.c.send_raw(frame(0x01, "42[\"m\",\"\xE2") + frame(0x00, "\x82") + frame(0x80, "\xAC\"]"));
  EXPECT_EQ(f.c.read_text().value_or(""), "42[\"echo\",\"\xE2\x82\xAC\"]");
  EXPECT_EQ(f.faults(), 0u);
}

TEST(BadInputValid, RegisteredCloseCodesAfterTheRfcAreEchoed) {
  for (uint16_t code : {1012, 1013, 1014}) {
    Fixture f;
    f.connect();
    f.c.send_raw(close_frame(code, "restart"));
    while (f.c.read_text()) {
    }
    EXPECT_EQ(f.c.closed_code(), code);
    EXPECT_EQ(f.faults(), 0u) << code;
  }
}

TEST(BadInputValid, AckForAnUnknownIdIsIgnored) {
  Fixture f([](roomcast::Server& s) {
    s.of("/").on("m", [](roomcast::Socket& sock, const roomcast::Args&, roomcast::Ack) { sock.emit("ok"); });
  });
  f.connect();
  f.c.send_text("43999[\"late\"]");
  f.c.send_text("42[\"m\"]");
  EXPECT_EQ(f.c.read_text().value_or(""), "42[\"ok\"]");
  EXPECT_EQ(f.faults(), 0u);
}

TEST(BadInputValid, HalfARequestThenTimeoutIsCounted) {
  roomcast::Config cfg = quiet_config(1);
  cfg.handshake_timeout_ms = 200;
  roomcast::Server server(cfg);
  server.of("/");
  server.start();
  WsTestClient slowloris;
  // Half a request head, never finished.
  std::string resp = slowloris.raw_http(server.port(), "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHo");
  EXPECT_EQ(resp, "");  // closed, nothing said: it never asked anything complete
  EXPECT_EQ(server.stats().fault(Fault::HandshakeTimeout), 1u);
  server.stop();
  server.wait();
}

}  // namespace
