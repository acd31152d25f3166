// The bench client's opening handshake against the engine's own upgrade code, plus the
// small parsers around it (target URL, /proc files).
#include <gtest/gtest.h>

#include "../../bench/harness/handshake.h"
#include "../../bench/harness/proc_parse.h"
#include "../../bench/harness/url.h"
#include "proto/http/http_request.h"

namespace hs = roomcast::bench::handshake;
namespace http = roomcast::http;
using roomcast::bench::parse_url;

TEST(BenchHandshake, KeyIsBase64OfTheRandomBytes) {
  // RFC 6455 section 1.3's example nonce, "the sample nonce", and its key.
  const uint8_t nonce[16] = {'t', 'h', 'e', ' ', 's', 'a', 'm', 'p', 'l', 'e', ' ', 'n', 'o', 'n', 'c', 'e'};
  EXPECT_EQ(hs::make_key(nonce), "dGhlIHNhbXBsZSBub25jZQ==");
}

TEST(BenchHandshake, RequestIsAValidUpgradeForTheServer) {
  const uint8_t rnd[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  const std::string key = hs::make_key(rnd);
  EXPECT_EQ(key.size(), 24u);
  const std::string req = hs::request("127.0.0.1:3000", "/socket.io/", key);
  http::Request r;
  const auto pr = http::parse_request(req, r);
  ASSERT_EQ(pr.status, http::ParseStatus::Complete);
  EXPECT_EQ(pr.head_bytes, req.size());
  EXPECT_EQ(r.path, "/socket.io/");
  EXPECT_EQ(http::query_param(r.query, "EIO"), "4");
  EXPECT_EQ(http::query_param(r.query, "transport"), "websocket");
  EXPECT_EQ(r.header("host"), "127.0.0.1:3000");
  const auto check = http::check_websocket_upgrade(r);
  EXPECT_EQ(check.http_status, 0) << check.reason;
  EXPECT_EQ(check.key, key);
  // A path that already has a query gets '&'.
  EXPECT_NE(hs::request("h", "/x/?a=1", key).find("GET /x/?a=1&EIO=4&transport=websocket HTTP/1.1"),
            std::string::npos);
  // --raw: the path as given, no Engine.IO query.
  EXPECT_EQ(hs::request("h", "/ws", key, false).rfind("GET /ws HTTP/1.1\r\n", 0), 0u);
}

TEST(BenchHandshake, AcceptsTheServersResponseAndFindsTheFramesAfterIt) {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  const std::string accept = http::websocket_accept(key);
  EXPECT_EQ(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");  // RFC 6455 section 1.3
  const std::string resp = http::upgrade_response(key);
  const std::string wire = resp + "\x81\x01" "2";
  auto r = hs::parse_response(wire, accept);
  ASSERT_EQ(r.status, hs::Status::Ok) << r.problem;
  EXPECT_EQ(r.head_bytes, resp.size());
  for (size_t cut = 0; cut + 1 < resp.size(); ++cut)
    ASSERT_EQ(hs::parse_response(std::string_view(resp).substr(0, cut), accept).status, hs::Status::Incomplete);
}

TEST(BenchHandshake, RefusesBadResponses) {
  const std::string accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
  const std::string good_headers = "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " + accept;
  auto st = [&](const std::string& s) { return hs::parse_response(s, accept); };
  auto r = st("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(r.status, hs::Status::Error);
  EXPECT_EQ(r.http_status, 400);
  EXPECT_EQ(st("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: x\r\n\r\n").status,
            hs::Status::Error);
  EXPECT_EQ(st("HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: " + accept + "\r\n\r\n").status,
            hs::Status::Error);
  EXPECT_EQ(st("SSH-2.0-OpenSSH\r\n\r\n").status, hs::Status::Error);
  EXPECT_EQ(st("HTTP/1.1 101 OK\r\n" + good_headers + "\r\n\r\n").status, hs::Status::Ok);
  EXPECT_EQ(st("HTTP/1.1 101 OK\r\nupgrade:WebSocket\r\nsec-websocket-accept:  " + accept + "\r\n\r\n").status,
            hs::Status::Ok);
  EXPECT_EQ(hs::parse_response(std::string(20000, 'a'), accept).status, hs::Status::Error);
}

TEST(BenchUrl, ParsesHostAndPort) {
  std::string err;
  auto u = parse_url("http://127.0.0.1:3000", err);
  ASSERT_TRUE(u) << err;
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 3000);
  EXPECT_EQ(u->host_header, "127.0.0.1:3000");
  u = parse_url("ws://localhost/", err);
  ASSERT_TRUE(u) << err;
  EXPECT_EQ(u->port, 80);
  EXPECT_EQ(u->host_header, "localhost");
  u = parse_url("http://[::1]:8080", err);
  ASSERT_TRUE(u) << err;
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8080);
  EXPECT_EQ(u->host_header, "[::1]:8080");
  for (const char* bad : {"https://x:1", "wss://x", "ftp://x", "http://:80", "http://x:0", "http://x:70000",
                          "http://x:12a", "http://x:1/chat", "http://[::1"}) {
    EXPECT_FALSE(parse_url(bad, err)) << bad;
    EXPECT_FALSE(err.empty());
  }
}

TEST(BenchProcParse, StatAndStatus) {
  uint64_t ticks = 0;
  const std::string stat =
      "1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0 100 1000 50";
  ASSERT_TRUE(roomcast::bench::parse_stat_cpu_ticks(stat, ticks));
  EXPECT_EQ(ticks, 325u);
  EXPECT_FALSE(roomcast::bench::parse_stat_cpu_ticks("1234 (x) S 1 2", ticks));
  EXPECT_FALSE(roomcast::bench::parse_stat_cpu_ticks("", ticks));
  const std::string status = "Name:\tx\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\n";
  EXPECT_EQ(roomcast::bench::parse_status_kb(status, "VmRSS"), 10240u);
  EXPECT_EQ(roomcast::bench::parse_status_kb(status, "VmHWM"), 20480u);
  EXPECT_EQ(roomcast::bench::parse_status_kb(status, "VmSwap"), 0u);
}
