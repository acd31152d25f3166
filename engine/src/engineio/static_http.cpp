// Config::static_resources: a few fixed documents on the Engine.IO port, so a demo page
// and its client bundle need no second server. Answered and closed, nothing held.
#include "proto/http/http_request.h"
#include "server/server_core.h"
#include "loop/shard.h"

namespace roomcast::detail {

bool Shard::serve_static(uint32_t slot, Conn& c, const http::Request& req, size_t head_bytes) {
  const auto& resources = core_.config().static_resources;
  auto it = resources.find(req.path);
  if (it == resources.end()) return false;
  std::string resp;
  if (req.method != "GET" && req.method != "HEAD") {
    resp = http::response(405, "text/plain", "Method Not Allowed", "Allow: GET, HEAD\r\n");
  } else {
    resp = http::response(200, it->second.content_type, it->second.body, "Cache-Control: no-cache\r\n");
    if (req.method == "HEAD") resp.resize(resp.size() - it->second.body.size());
  }
  (void)head_bytes;
  send_and_close(slot, c, resp, 5000);  // a slow reader of a large bundle still gets it
  return true;
}

}  // namespace roomcast::detail
