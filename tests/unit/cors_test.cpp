#include "proto/http/cors.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/http/http_request.h"

using namespace roomcast::http;

namespace {

struct CorsPolicy {
  std::vector<std::string> origins;
  bool credentials = false;
};

CorsResult check(const CorsPolicy& p, const std::string& head, bool preflight = false) {
  static std::string buf;
  buf = head + "\r\n";
  Request req;
  EXPECT_EQ(parse_request(buf, req).status, ParseStatus::Complete) << head;
  return cors(p.origins, p.credentials, req, preflight);
}

}  // namespace

TEST(Cors, NoOriginOrSameOriginAlwaysAllowedWithoutHeaders) {
  CorsPolicy none;
  auto a = check(none, "GET / HTTP/1.1\r\nHost: a.test:3000\r\n");
  EXPECT_TRUE(a.allowed);
  EXPECT_EQ(a.headers, "");
  auto b = check(none, "GET / HTTP/1.1\r\nHost: a.test:3000\r\nOrigin: http://a.test:3000\r\n");
  EXPECT_TRUE(b.allowed);
  EXPECT_EQ(b.headers, "");
}

TEST(Cors, DefaultRefusesOtherOrigins) {
  CorsPolicy none;
  EXPECT_FALSE(check(none, "GET / HTTP/1.1\r\nHost: a.test\r\nOrigin: http://evil.test\r\n").allowed);
  EXPECT_FALSE(check(none, "GET / HTTP/1.1\r\nHost: a.test\r\nOrigin: http://a.test.evil.test\r\n").allowed);
}

TEST(Cors, ListedOriginIsReflected) {
  CorsPolicy p{{"http://app.test"}, false};
  auto r = check(p, "GET / HTTP/1.1\r\nHost: api.test\r\nOrigin: http://app.test\r\n");
  EXPECT_TRUE(r.allowed);
  EXPECT_EQ(r.headers, "Access-Control-Allow-Origin: http://app.test\r\nVary: Origin\r\n");
  EXPECT_FALSE(check(p, "GET / HTTP/1.1\r\nHost: api.test\r\nOrigin: http://other.test\r\n").allowed);
}

TEST(Cors, StarWithAndWithoutCredentials) {
  CorsPolicy star{{"*"}, false};
  EXPECT_EQ(check(star, "GET / HTTP/1.1\r\nHost: api.test\r\nOrigin: http://x.test\r\n").headers,
            "Access-Control-Allow-Origin: *\r\n");
  CorsPolicy cred{{"*"}, true};
  EXPECT_EQ(check(cred, "GET / HTTP/1.1\r\nHost: api.test\r\nOrigin: http://x.test\r\n").headers,
            "Access-Control-Allow-Origin: http://x.test\r\nVary: Origin\r\nAccess-Control-Allow-Credentials: true\r\n");
}

TEST(Cors, PreflightNamesMethodsAndEchoesRequestedHeaders) {
  CorsPolicy p{{"http://app.test"}, true};
  auto r = check(p, "OPTIONS / HTTP/1.1\r\nHost: api.test\r\nOrigin: http://app.test\r\n"
                    "Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: content-type\r\n", true);
  EXPECT_EQ(r.headers,
            "Access-Control-Allow-Origin: http://app.test\r\nVary: Origin\r\nAccess-Control-Allow-Credentials: true\r\n"
            "Access-Control-Allow-Methods: GET,POST\r\nAccess-Control-Allow-Headers: content-type\r\n");
}
