// Cross-origin policy for browser requests (both transports). Pure: no I/O.
#pragma once
#include <span>
#include <string>
#include <string_view>

namespace roomcast::http {

struct Request;

struct CorsResult {
  bool allowed = true;   // false: a browser on another origin the policy does not list
  std::string headers;   // response header lines to add (each ending in CRLF)
};

// Requests without Origin (non-browser clients) and same-origin requests (Origin equals
// http(s):// + Host) are always allowed and need no headers. A preflight (`OPTIONS` with
// Access-Control-Request-Method) also gets the allowed methods and the requested headers
// back. With credentials, "*" reflects the origin instead, since browsers refuse a
// credentialed response that says "*".
// `origins`: exact origins, or "*" for any; empty: same origin only.
CorsResult cors(std::span<const std::string> origins, bool credentials, const Request& req, bool preflight);

}  // namespace roomcast::http
