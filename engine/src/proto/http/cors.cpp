#include "proto/http/cors.h"

#include "proto/http/http_request.h"

namespace roomcast::http {

CorsResult cors(std::span<const std::string> origins, bool credentials, const Request& req, bool preflight) {
  CorsResult r;
  auto origin = req.header("origin");
  if (!origin) return r;
  if (auto host = req.header("host")) {
    std::string_view o = *origin;
    for (std::string_view scheme : {"http://", "https://"})
      if (o.size() == scheme.size() + host->size() && o.substr(0, scheme.size()) == scheme &&
          o.substr(scheme.size()) == *host)
        return r;
  }
  bool any = false, listed = false;
  for (const auto& o : origins) {
    if (o == "*") any = true;
    else if (o == *origin) listed = true;
  }
  if (!any && !listed) {
    r.allowed = false;
    return r;
  }
  if (any && !listed && !credentials) {
    r.headers = "Access-Control-Allow-Origin: *\r\n";
  } else {
    r.headers = "Access-Control-Allow-Origin: " + std::string(*origin) + "\r\nVary: Origin\r\n";
  }
  if (credentials) r.headers += "Access-Control-Allow-Credentials: true\r\n";
  if (preflight) {
    r.headers += "Access-Control-Allow-Methods: GET,POST\r\n";
    if (auto wanted = req.header("access-control-request-headers"))
      r.headers += "Access-Control-Allow-Headers: " + std::string(*wanted) + "\r\n";
  }
  return r;
}

}  // namespace roomcast::http
