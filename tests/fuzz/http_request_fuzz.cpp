// Fuzzes request-head parsing, the upgrade check and query decoding. Input: [limit][head...].
// Beyond not crashing, checks that every view stays inside the parsed head, that the head
// ends in CRLFCRLF within the limit, and that a complete head parses the same on its own.
#include "proto/http/http_request.h"

#include <cstdint>
#include <string>
#include <string_view>

using namespace roomcast::http;

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

bool inside(std::string_view v, std::string_view head) {
  return v.empty() || (v.data() >= head.data() && v.data() + v.size() <= head.data() + head.size());
}

void check_complete(std::string_view buf, const Request& req, const ParseResult& r, size_t max) {
  check(r.head_bytes <= buf.size() && r.head_bytes <= max && r.head_bytes >= 4);
  std::string_view head = buf.substr(0, r.head_bytes);
  check(head.substr(head.size() - 4) == "\r\n\r\n");
  check(!req.method.empty() && !req.target.empty() && req.header_count <= kMaxHeaders);
  check(inside(req.method, head) && inside(req.target, head) && inside(req.path, head) &&
        inside(req.query, head));
  check(req.minor_version >= 0 && req.minor_version <= 9);
  for (size_t i = 0; i < req.header_count; ++i) {
    const Header& h = req.headers[i];
    check(!h.name.empty() && inside(h.name, head) && inside(h.value, head));
    check(req.header(h.name).has_value());
  }
  // The head alone parses identically, and one byte less is not a complete head.
  Request again;
  ParseResult r2 = parse_request(head, again, max);
  check(r2.status == ParseStatus::Complete && r2.head_bytes == r.head_bytes);
  check(again.header_count == req.header_count && again.target == req.target);
  ParseResult r3 = parse_request(head.substr(0, head.size() - 1), again, max);
  check(r3.status != ParseStatus::Complete);

  UpgradeCheck up = check_websocket_upgrade(req);
  check(up.http_status == 0 || up.http_status == 400 || up.http_status == 426);
  if (up.http_status == 0) {
    check(up.key.size() == 24 && inside(up.key, head));
    check(websocket_accept(up.key).size() == 28);
    check(upgrade_response(up.key).rfind("HTTP/1.1 101 Switching Protocols\r\n", 0) == 0);
  } else {
    check(!up.reason.empty());
  }
  for (std::string_view key : {"EIO", "transport", "sid", "t", ""}) {
    auto v = query_param(req.query, key);
    if (v) check(v->size() <= req.query.size());
  }
  // A plain first key must be found by its own name.
  std::string_view first = req.query.substr(0, req.query.find_first_of("&="));
  if (!first.empty() && first.find_first_of("%+") == std::string_view::npos)
    check(query_param(req.query, first).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  size_t max = data[0] == 0xFF ? 8192 : 16 + size_t(data[0]) * 4;
  std::string_view buf(reinterpret_cast<const char*>(data + 1), size - 1);
  Request req;
  ParseResult r = parse_request(buf, req, max);
  switch (r.status) {
    case ParseStatus::Incomplete:
      check(buf.size() < max);
      break;
    case ParseStatus::Error:
      check(r.http_status == 400 || r.http_status == 431 || r.http_status == 501 ||
            r.http_status == 505);
      break;
    case ParseStatus::Complete:
      check_complete(buf, req, r, max);
      break;
  }
  // The helpers take arbitrary text too.
  auto v = query_param(buf, "a");
  if (v) check(v->size() <= buf.size());
  // Every pair query_pairs lists, query_param finds under its (decoded) key, first one first.
  const auto pairs = query_pairs(buf);
  size_t total = 0;
  for (auto& [k, val] : pairs) total += k.size() + val.size();
  check(total <= buf.size());
  if (!pairs.empty()) {
    auto first = query_param(buf, pairs[0].first);
    check(first && *first == pairs[0].second);
  }
  check(websocket_accept(buf).size() == 28);
  std::string resp = response(400, "text/plain", buf.substr(0, 64));
  check(resp.size() > buf.substr(0, 64).size());
  return 0;
}
