#include "admin_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include "proto/http/http_request.h"

namespace roomcastd {

std::string stats_json(const roomcast::Stats& s) {
  std::string o = "{";
  auto add = [&](const char* k, uint64_t v) {
    if (o.size() > 1) o += ",";
    o += "\"" + std::string(k) + "\":" + std::to_string(v);
  };
  add("connections", s.connections);
  add("connection_slots", s.connection_slots);
  add("sockets", s.sockets);
  add("accepted", s.accepted);
  add("refused_full", s.refused_full);
  add("handshake_errors", s.handshake_errors);
  add("protocol_errors", s.protocol_errors);
  add("slow_consumer_disconnects", s.slow_consumer_disconnects);
  add("ping_timeouts", s.ping_timeouts);
  add("connect_timeouts", s.connect_timeouts);
  add("broadcasts", s.broadcasts);
  add("deliveries", s.deliveries);
  add("bytes_sent", s.bytes_sent);
  add("emits_refused", s.emits_refused);
  add("tasks_refused", s.tasks_refused);
  add("handler_exceptions", s.handler_exceptions);
  add("frames_dropped", s.frames_dropped);
  add("volatile_drops", s.volatile_drops);
  add("connections_reset", s.connections_reset);
  add("close_lingers", s.close_lingers);
  add("close_linger_bytes", s.close_linger_bytes);
  add("close_linger_limits", s.close_linger_limits);
  add("refused_max_connections", s.refused_max_connections);
  add("refused_per_address", s.refused_per_address);
  add("accept_errors", s.accept_errors);
  add("recv_buffers_exhausted", s.recv_buffers_exhausted);
  add("broadcast_acks", s.broadcast_acks);
  add("broadcast_ack_timeouts", s.broadcast_ack_timeouts);
  add("broadcast_acks_refused", s.broadcast_acks_refused);
  add("redis_connected", s.adapter.connected ? 1 : 0);
  add("redis_published", s.adapter.published);
  add("redis_publish_dropped", s.adapter.publish_dropped);
  add("redis_received", s.adapter.received);
  add("redis_delivered", s.adapter.delivered);
  add("redis_connection_losses", s.adapter.connection_losses);
  add("redis_reconnects", s.adapter.reconnects);
  add("redis_server_side_sent", s.adapter.server_side_sent);
  add("redis_server_side_handled", s.adapter.server_side_handled);
  add("redis_server_side_refused", s.adapter.server_side_refused);
  add("redis_requests_answered", s.adapter.requests_answered);
  add("redis_requests_timed_out", s.adapter.requests_timed_out);
  add("submission_queue_full", s.submission_queue_full);
  add("submit_retries", s.submit_retries);
  add("io_cancelled", s.io_cancelled);
  for (size_t f = 0; f < roomcast::kFaultCount; ++f)
    add((std::string("fault_") + roomcast::fault_name(roomcast::Fault(f))).c_str(), s.faults[f]);
  return o + "}";
}

AdminHttp::AdminHttp(roomcast::Server& server, const std::string& address, uint16_t port) : server_(server) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &a.sin_addr) != 1) throw std::runtime_error("bad admin address " + address);
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || ::listen(listen_fd_, 64) != 0) {
    std::string err = std::strerror(errno);
    ::close(listen_fd_);
    throw std::runtime_error("admin endpoint cannot listen on " + address + ":" + std::to_string(port) + ": " + err);
  }
  socklen_t len = sizeof(a);
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { loop(); });
}

AdminHttp::~AdminHttp() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
}

void AdminHttp::loop() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;  // wake up now and then to notice stop_
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    serve(fd);
    ::close(fd);
  }
}

void AdminHttp::serve(int fd) {
  timeval tv{2, 0};  // a client that stalls can't hold the admin thread
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string in;
  char buf[4096];
  roomcast::http::Request req;
  roomcast::http::ParseResult pr;
  while (true) {
    ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) return;
    in.append(buf, size_t(n));
    pr = roomcast::http::parse_request(in, req, 8192);
    if (pr.status != roomcast::http::ParseStatus::Incomplete) break;
  }
  std::string resp;
  if (pr.status == roomcast::http::ParseStatus::Error) {
    resp = roomcast::http::response(pr.http_status, "text/plain", "bad request\n");
  } else {
    std::string body = route(std::string(req.method), std::string(req.path), std::string(req.query));
    if (body.empty())
      resp = roomcast::http::response(404, "text/plain", "not found\n");
    else
      resp = roomcast::http::response(200, "application/json", body + "\n");
  }
  size_t off = 0;
  while (off < resp.size()) {
    ssize_t n = ::send(fd, resp.data() + off, resp.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;
    off += size_t(n);
  }
}

std::string AdminHttp::route(const std::string& method, const std::string& path, const std::string& query) {
  if (method == "GET" && path == "/debug/latency") return server_.latency_profile_json();
  if (method == "POST" && path == "/debug/latency/reset") {
    server_.reset_latency_profile();
    return "{\"reset\":true}";
  }
  if (method == "POST" && path == "/debug/profiling") {
    auto on = roomcast::http::query_param(query, "on");
    bool enable = on && *on == "1";
    server_.set_profiling(enable);
    return std::string("{\"enabled\":") + (enable ? "true" : "false") + "}";
  }
  if (method == "GET" && path == "/metrics") return stats_json(server_.stats());
  return {};
}

}  // namespace roomcastd
