// Connection limits: global, per shard and per remote address. A connection over a limit is
// still accepted into a slot, so that it can be told why: once its request head is in, it
// gets a 503 with a body and the connection closes after it (refusing before reading the
// request could make the kernel answer the unread request with a reset instead).
#include "loop/admission.h"
#include "proto/http/http_request.h"
#include "server/server_core.h"
#include "loop/shard.h"

namespace roomcast::detail {

void Shard::admit(Conn& c) {
  Admission::Verdict v = admitted_conns_ >= core_.config().max_connections_per_shard
                             ? Admission::Verdict::TooManyConnections
                             : core_.admission().admit(c.peer);
  if (v == Admission::Verdict::Admit) {
    c.admitted = true;
    ++admitted_conns_;
  } else {
    c.refusal = uint8_t(v);
  }
}

void Shard::release_admission(Conn& c) {
  if (!c.admitted) return;
  c.admitted = false;
  --admitted_conns_;
  core_.admission().release(c.peer);
}

bool Shard::refuse_if_over_limit(uint32_t slot, Conn& c) {
  const bool per_address = c.refusal == uint8_t(Admission::Verdict::TooManyFromAddress);
  (per_address ? counters_.refused_per_address : counters_.refused_max_connections).add();
  log(std::string("connection refused (") + (per_address ? "per-address limit" : "connection limit") +
      ") from " + c.peer);
  std::string resp = http::response(503, "text/plain",
                                    per_address ? "Too many connections from this address\n"
                                                : "Too many connections\n",
                                    "Retry-After: 5\r\n");
  send_and_close(slot, c, resp);
  return true;
}

}  // namespace roomcast::detail
