// HTTP request heads and the RFC 6455 opening handshake.
#include "proto/http/http_request.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

using namespace roomcast::http;
using namespace std::string_literals;

namespace {

// The RFC 6455 section 1.3 handshake, minus Origin/Protocol, which are optional.
const std::string kUpgrade =
    "GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
    "Host: server.example.com\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

// Replaces the first occurrence of `from` in the sample request.
std::string with(std::string_view from, std::string_view to, std::string base = kUpgrade) {
  size_t at = base.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return base.replace(at, from.size(), to);
}

// Owns a copy of the input on the heap, so the Request's views outlive temporaries.
struct Parsed {
  std::unique_ptr<std::string> buf;
  ParseResult result;
  Request req;
};

Parsed parse(const std::string& s, size_t max = 8192) {
  Parsed p;
  p.buf = std::make_unique<std::string>(s);
  p.result = parse_request(*p.buf, p.req, max);
  return p;
}

int error_status(const std::string& s, size_t max = 8192) {
  Parsed p = parse(s, max);
  EXPECT_EQ(p.result.status, ParseStatus::Error) << s;
  return p.result.http_status;
}

// Parses (must succeed) and runs the upgrade check.
int upgrade_status(const std::string& s) {
  Parsed p = parse(s);
  EXPECT_EQ(p.result.status, ParseStatus::Complete) << s;
  return check_websocket_upgrade(p.req).http_status;
}

}  // namespace

TEST(Http, RfcHandshakeAccept) {
  EXPECT_EQ(websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(upgrade_response("dGhlIHNhbXBsZSBub25jZQ=="),
            "HTTP/1.1 101 Switching Protocols\r\n"
            "Upgrade: websocket\r\n"
            "Connection: Upgrade\r\n"
            "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
}

TEST(Http, ValidUpgrade) {
  std::string buf = kUpgrade + "\x81\x85";  // the first frame may arrive with the head
  Request req;
  ParseResult r = parse_request(buf, req);
  ASSERT_EQ(r.status, ParseStatus::Complete);
  EXPECT_EQ(r.head_bytes, kUpgrade.size());
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/socket.io/?EIO=4&transport=websocket");
  EXPECT_EQ(req.path, "/socket.io/");
  EXPECT_EQ(req.query, "EIO=4&transport=websocket");
  EXPECT_EQ(req.minor_version, 1);
  EXPECT_EQ(req.header_count, 5u);
  EXPECT_EQ(req.header("host"), "server.example.com");
  EXPECT_FALSE(req.content_length.has_value());
  UpgradeCheck c = check_websocket_upgrade(req);
  EXPECT_EQ(c.http_status, 0) << c.reason;
  EXPECT_EQ(c.key, "dGhlIHNhbXBsZSBub25jZQ==");
}

TEST(Http, HeaderNamesAndTokensAreCaseInsensitive) {
  std::string s = with("Upgrade: websocket", "uPgRaDe: WebSocket");
  s = with("Connection: Upgrade", "CONNECTION: keep-alive, Upgrade", s);
  s = with("Sec-WebSocket-Version", "sec-websocket-version", s);
  Parsed p = parse(s);
  ASSERT_EQ(p.result.status, ParseStatus::Complete);
  EXPECT_EQ(p.req.header("Connection"), "keep-alive, Upgrade");
  EXPECT_EQ(p.req.header("SEC-WEBSOCKET-KEY"), "dGhlIHNhbXBsZSBub25jZQ==");
  EXPECT_EQ(check_websocket_upgrade(p.req).http_status, 0);
}

TEST(Http, ConnectionTokenLists) {
  for (const char* v : {"Upgrade", "keep-alive, Upgrade", "Upgrade,keep-alive", "keep-alive,upgrade \t",
                        "  upgrade  "})
    EXPECT_EQ(upgrade_status(with("Connection: Upgrade", std::string("Connection: ") + v)), 0) << v;
  // Split over two header lines, as a proxy may forward it.
  EXPECT_EQ(upgrade_status(with("Connection: Upgrade", "Connection: keep-alive\r\nConnection: upgrade")), 0);
  for (const char* v : {"keep-alive", "upgraded", "Upgrade-Insecure", "close", ""})
    EXPECT_EQ(upgrade_status(with("Connection: Upgrade", std::string("Connection: ") + v)), 400) << v;
}

TEST(Http, UpgradeRejections) {
  EXPECT_EQ(upgrade_status(with("GET ", "POST ")), 400);
  EXPECT_EQ(upgrade_status(with("HTTP/1.1", "HTTP/1.0")), 400);
  EXPECT_EQ(upgrade_status(with("Upgrade: websocket\r\n", "")), 400);
  EXPECT_EQ(upgrade_status(with("Upgrade: websocket", "Upgrade: h2c")), 400);
  EXPECT_EQ(upgrade_status(with("Connection: Upgrade\r\n", "")), 400);
  EXPECT_EQ(upgrade_status(with("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", "")), 400);
  EXPECT_EQ(upgrade_status(with("Sec-WebSocket-Version: 13\r\n", "")), 400);
  EXPECT_EQ(upgrade_status(with("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8")), 426);
  EXPECT_EQ(upgrade_status(with("Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13, 8")), 426);
  EXPECT_EQ(upgrade_status(with("Sec-WebSocket-Version: 13",
                                "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13")), 400);
  // Keys must be base64 of exactly 16 bytes.
  for (const char* key : {"dGhlIHNhbXBsZSBub25jZQ=", "dGhlIHNhbXBsZSBub25jZQ===", "dGhlIHNhbXBsZSBub25jZQ",
                          "dGhlIHNhbXBsZSBub25jZQ!=", "dGhlIHNhbXBsZSBub25jZSBt", "dGhl IHNhbXBsZSBub25jZQ==",
                          "dGhlIHNhbXBsZSBub25jZQ=A", ""}) {
    std::string s = with("dGhlIHNhbXBsZSBub25jZQ==", key);
    EXPECT_EQ(upgrade_status(s), 400) << key;
  }
  EXPECT_EQ(upgrade_status(with("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                                "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==")), 400);
  EXPECT_EQ(upgrade_status(with("dGhlIHNhbXBsZSBub25jZQ==", "AAAAAAAAAAAAAAAAAAAAAA==")), 0);
}

TEST(Http, IncompleteHeads) {
  for (size_t n = 0; n < kUpgrade.size(); ++n) {
    Parsed p = parse(kUpgrade.substr(0, n));
    ASSERT_EQ(p.result.status, ParseStatus::Incomplete) << n;
  }
  EXPECT_EQ(parse(kUpgrade).result.status, ParseStatus::Complete);
}

TEST(Http, HeadSizeLimit) {
  std::string big = with("Host: server.example.com", "Host: " + std::string(300, 'h'));
  EXPECT_EQ(parse(big, big.size()).result.status, ParseStatus::Complete);  // exactly the limit
  EXPECT_EQ(error_status(big, big.size() - 1), 431);
  // An unfinished head is refused once it outgrows the limit, not left waiting.
  std::string endless = "GET / HTTP/1.1\r\nX: " + std::string(100, 'x');
  EXPECT_EQ(parse(endless, 200).result.status, ParseStatus::Incomplete);
  EXPECT_EQ(error_status(endless, 100), 431);
  EXPECT_EQ(error_status(endless, endless.size()), 431);
}

TEST(Http, HeaderCountLimit) {
  auto head = [](size_t n) {
    std::string s = "GET / HTTP/1.1\r\n";
    for (size_t i = 0; i < n; ++i) s += "X-" + std::to_string(i) + ": v\r\n";
    return s + "\r\n";
  };
  Parsed p = parse(head(kMaxHeaders));
  ASSERT_EQ(p.result.status, ParseStatus::Complete);
  EXPECT_EQ(p.req.header_count, kMaxHeaders);
  EXPECT_EQ(p.req.header("x-63"), "v");
  EXPECT_EQ(error_status(head(kMaxHeaders + 1)), 431);
}

TEST(Http, MalformedHeads) {
  EXPECT_EQ(error_status("GET / HTTP/1.1\nHost: a\n\n"), 400);         // bare LF
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: a\n"), 400);         // ...seen before the end
  EXPECT_EQ(error_status("\r\n\r\n"), 400);                            // no request line
  EXPECT_EQ(error_status("GET /\r\n\r\n"), 400);                       // HTTP/0.9 style
  EXPECT_EQ(error_status("GET  / HTTP/1.1\r\n\r\n"), 400);             // empty target
  EXPECT_EQ(error_status("G(T / HTTP/1.1\r\n\r\n"), 400);              // not a token
  EXPECT_EQ(error_status("GET /\0 HTTP/1.1\r\n\r\n"s), 400);
  EXPECT_EQ(error_status("GET /\xC3\xA9 HTTP/1.1\r\n\r\n"), 400);       // unencoded non-ASCII
  EXPECT_EQ(error_status("GET / http/1.1\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1 \r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.10\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n"), 400);  // obs-fold
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\n\tX: a\r\n\r\n"), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost a\r\n\r\n"), 400);     // missing colon
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);   // space before colon
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\n: a\r\n\r\n"), 400);        // empty name
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"), 400);   // bare CR in value
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"s), 400);
  EXPECT_EQ(error_status("GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n"), 400);
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 501);
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n"), 400);
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400);
  EXPECT_EQ(error_status("POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), 400);
}

TEST(Http, KnownMethods) {
  for (const char* m : {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"})
    EXPECT_TRUE(known_method(m)) << m;
  for (const char* m : {"GARBAGE", "get", "Get", "BREW", "PROPFIND", "GETS", "GE", ""})
    EXPECT_FALSE(known_method(m)) << m;
  // The parser still accepts any token: which methods are served is the caller's choice.
  Parsed p = parse("GARBAGE / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(p.result.status, ParseStatus::Complete);
  EXPECT_EQ(p.req.method, "GARBAGE");
}

TEST(Http, AcceptedVariants) {
  Parsed p = parse("POST /socket.io/?EIO=4 HTTP/1.0\r\nContent-Length: 12\r\ncontent-length: 12\r\n"
                   "X-Empty:\r\nX-Tab:\tv a l\t \r\nX-Obs: caf\xC3\xA9\r\n\r\nbody");
  ASSERT_EQ(p.result.status, ParseStatus::Complete);
  EXPECT_EQ(p.req.method, "POST");
  EXPECT_EQ(p.req.minor_version, 0);
  EXPECT_EQ(p.req.content_length, 12u);
  EXPECT_EQ(p.req.header("x-empty"), "");
  EXPECT_EQ(p.req.header("x-tab"), "v a l");
  EXPECT_EQ(p.req.header("x-obs"), "caf\xC3\xA9");
  EXPECT_FALSE(p.req.header("x-missing").has_value());
  Parsed q = parse("GET /plain HTTP/1.1\r\n\r\n");
  ASSERT_EQ(q.result.status, ParseStatus::Complete);
  EXPECT_EQ(q.req.path, "/plain");
  EXPECT_EQ(q.req.query, "");
  EXPECT_EQ(q.req.header_count, 0u);
}

TEST(Http, QueryParam) {
  std::string_view q = "EIO=4&transport=polling&t=N8hyd6w&sid=ab%2Bc%2fd&name=a+b%20c&empty=&flag"
                       "&bad=%zz%4&%73id=second&x=1&x=2";
  EXPECT_EQ(query_param(q, "EIO"), "4");
  EXPECT_EQ(query_param(q, "transport"), "polling");
  EXPECT_EQ(query_param(q, "sid"), "ab+c/d");  // first match wins over the encoded key later
  EXPECT_EQ(query_param(q, "name"), "a b c");
  EXPECT_EQ(query_param(q, "empty"), "");
  EXPECT_EQ(query_param(q, "flag"), "");
  EXPECT_EQ(query_param(q, "bad"), "%zz%4");  // malformed escapes stay literal
  EXPECT_EQ(query_param(q, "x"), "1");
  EXPECT_FALSE(query_param(q, "missing").has_value());
  EXPECT_FALSE(query_param(q, "ei").has_value());
  EXPECT_FALSE(query_param("", "EIO").has_value());
  EXPECT_EQ(query_param("a=1&%73id=enc", "sid"), "enc");  // keys are decoded too
  EXPECT_EQ(query_param("&&k=v&", "k"), "v");
  EXPECT_EQ(query_param("k=%E2%82%AC", "k"), "\xE2\x82\xAC");
}

TEST(Http, QueryPairs) {
  using P = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(query_pairs("EIO=4&&t=1&t=2&flag&n=a+b%20c&%73id=x&bad=%zz&"),
            (P{{"EIO", "4"}, {"t", "1"}, {"t", "2"}, {"flag", ""}, {"n", "a b c"}, {"sid", "x"}, {"bad", "%zz"}}));
  EXPECT_TRUE(query_pairs("").empty());
  EXPECT_TRUE(query_pairs("&&").empty());
}

TEST(Http, Responses) {
  EXPECT_EQ(response(400, "application/json", R"({"code":3,"message":"Bad request"})"),
            "HTTP/1.1 400 Bad Request\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 34\r\n"
            "Connection: close\r\n"
            "\r\n"
            R"({"code":3,"message":"Bad request"})");
  EXPECT_EQ(response(426, "text/plain", "", "Sec-WebSocket-Version: 13\r\n"),
            "HTTP/1.1 426 Upgrade Required\r\n"
            "Content-Type: text/plain\r\n"
            "Content-Length: 0\r\n"
            "Connection: close\r\n"
            "Sec-WebSocket-Version: 13\r\n"
            "\r\n");
  EXPECT_EQ(response(204, "", ""), "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(reason_phrase(200), "OK");
  EXPECT_EQ(reason_phrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reason_phrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(reason_phrase(299), "Unknown");
}
