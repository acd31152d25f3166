#include "ceiling_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "sio_min.h"

namespace ceiling {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxHttpHeader = 8 * 1024;
constexpr int kMaxIov = 1024;         // IOV_MAX on Linux
constexpr int kAcceptsPerTurn = 512;  // keeps a connection storm from starving open sockets
constexpr int kEventsPerWait = 1024;

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string ns_key(std::string_view nsp) {
  std::string k(nsp);
  k.push_back('\x1e');
  return k;
}

std::string room_key(std::string_view nsp, std::string_view room) {
  std::string k(nsp);
  k.push_back('\x1f');
  k.append(room);
  return k;
}

}  // namespace

struct Server::Conn {
  int fd = -1;
  bool upgraded = false;
  bool closing = false;
  bool dirty = false;
  bool out_armed = false;
  std::string in;                // bytes not yet parsed
  std::vector<Frame*> out;       // queued frames, oldest at out_head
  size_t out_head = 0;
  size_t head_offset = 0;        // bytes of out[out_head] already written
  size_t out_bytes = 0;          // bytes queued and not yet written
  std::vector<uint32_t> rooms;   // room ids, namespace rooms included
};

Server::Server(Options opts) : opts_(std::move(opts)) {}

Server::~Server() {
  for (auto& c : conns_)
    if (c) close_now(*c);
  if (listen_fd_ >= 0) ::close(listen_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
}

bool Server::listen(std::string& err) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(opts_.port);
  if (inet_pton(AF_INET, opts_.host.c_str(), &addr.sin_addr) != 1) {
    err = "bad IPv4 address: " + opts_.host;
    return false;
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) {
    err = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 4096) != 0) {
    err = std::string("bind/listen: ") + std::strerror(errno);
    return false;
  }
  socklen_t len = sizeof addr;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
  port_ = ntohs(addr.sin_port);

  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epoll_fd_ < 0 || wake_fd_ < 0) {
    err = std::string("epoll/eventfd: ") + std::strerror(errno);
    return false;
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listen_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  ev.data.fd = wake_fd_;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  return true;
}

void Server::stop() {
  const uint64_t one = 1;
  [[maybe_unused]] auto r = ::write(wake_fd_, &one, sizeof one);
}

void Server::run() {
  epoll_event events[kEventsPerWait];
  int64_t next_ping = now_ms() + opts_.ping_interval_ms;
  bool stopping = false;
  while (!stopping) {
    const int timeout = static_cast<int>(std::max<int64_t>(0, next_ping - now_ms()));
    const int n = ::epoll_wait(epoll_fd_, events, kEventsPerWait, timeout);
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == listen_fd_) {
        accept_all();
        continue;
      }
      if (fd == wake_fd_) {
        stopping = true;
        continue;
      }
      Conn* c = static_cast<size_t>(fd) < conns_.size() ? conns_[fd].get() : nullptr;
      if (c == nullptr || c->closing) continue;
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(*c);
      if (!c->closing && (events[i].events & EPOLLOUT)) flush(*c);
    }
    if (now_ms() >= next_ping) {
      ping_all();
      next_ping = now_ms() + opts_.ping_interval_ms;
    }
    for (int fd : dirty_) {
      Conn* c = conns_[fd].get();
      c->dirty = false;
      if (!c->closing) flush(*c);
    }
    dirty_.clear();
    for (int fd : closing_) close_now(*conns_[fd]);
    closing_.clear();
  }
}

void Server::accept_all() {
  for (int i = 0; i < kAcceptsPerTurn; ++i) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or out of descriptors: try again next turn
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (static_cast<size_t>(fd) >= conns_.size()) conns_.resize(static_cast<size_t>(fd) + 1024);
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      ::close(fd);
      continue;
    }
    conns_[fd] = std::move(c);
    ++stats_.connections;
  }
}

void Server::on_readable(Conn& c) {
  static char scratch[kReadChunk];
  const ssize_t n = ::read(c.fd, scratch, sizeof scratch);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    schedule_close(c);
    return;
  }
  if (n < 0) return;
  if (!c.upgraded) {
    c.in.append(scratch, static_cast<size_t>(n));
    consume_http(c);
    return;
  }
  // The common case, whole frames in one read, parses straight from the scratch buffer.
  if (c.in.empty()) {
    size_t used = 0;
    consume_frames(c, scratch, static_cast<size_t>(n), used);
    if (!c.closing && used < static_cast<size_t>(n)) c.in.assign(scratch + used, static_cast<size_t>(n) - used);
    return;
  }
  c.in.append(scratch, static_cast<size_t>(n));
  size_t used = 0;
  consume_frames(c, c.in.data(), c.in.size(), used);
  c.in.erase(0, used);
}

void Server::consume_http(Conn& c) {
  const Upgrade u = parse_upgrade(c.in);
  if (!u.complete) {
    if (c.in.size() > kMaxHttpHeader) schedule_close(c);
    return;
  }
  if (!u.websocket) {
    static constexpr std::string_view kBody = "{\"code\":0,\"message\":\"Transport unknown\"}";
    std::string resp = "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ";
    resp.append(std::to_string(kBody.size())).append("\r\n\r\n").append(kBody);
    [[maybe_unused]] auto r = ::write(c.fd, resp.data(), resp.size());
    schedule_close(c);
    return;
  }
  std::string resp = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ";
  resp.append(accept_key(u.key)).append("\r\n\r\n");
  append_server_frame(resp, WsOp::Text,
                      open_packet(make_sid(next_sid_++), opts_.ping_interval_ms, opts_.ping_timeout_ms, opts_.max_payload));
  // The 101 answer and the open packet leave together, through the ordinary queue.
  Frame* raw = Frame::make_raw(resp);
  c.upgraded = true;
  c.in.erase(0, u.header_len);
  if (raw == nullptr) {
    schedule_close(c);
    return;
  }
  send_frame(c, raw);
  raw->unref();
  if (!c.in.empty()) {
    size_t used = 0;
    consume_frames(c, c.in.data(), c.in.size(), used);
    c.in.erase(0, used);
  }
}

void Server::consume_frames(Conn& c, char* data, size_t len, size_t& used) {
  used = 0;
  while (!c.closing && used < len) {
    const ClientFrame f = parse_client_frame({data + used, len - used}, opts_.max_payload);
    if (f.status == FrameStatus::NeedMore) return;
    if (f.status == FrameStatus::Bad) {
      schedule_close(c);
      return;
    }
    used += f.consumed;
    switch (f.op) {
      case WsOp::Text:
        if (!f.fin) {  // fragmented messages are not part of the load path
          schedule_close(c);
          return;
        }
        on_message(c, f.payload);
        break;
      case WsOp::Ping:
        send_control(c, WsOp::Pong, f.payload);
        break;
      case WsOp::Close:
        send_control(c, WsOp::Close, f.payload.substr(0, std::min<size_t>(f.payload.size(), 2)));
        flush(c);
        schedule_close(c);
        return;
      case WsOp::Binary:
      case WsOp::Pong:
        break;
      default:
        schedule_close(c);
        return;
    }
  }
}

void Server::on_message(Conn& c, std::string_view msg) {
  const Command cmd = parse_command(msg);
  switch (cmd.kind) {
    case CmdKind::Ignore:
      return;
    case CmdKind::Bad:
      schedule_close(c);
      return;
    case CmdKind::Connect:
      join(c, ns_key(cmd.nsp));
      send_control(c, WsOp::Text, connect_reply(cmd.nsp, make_sid(next_sid_++)));
      return;
    case CmdKind::Join:
      join(c, room_key(cmd.nsp, cmd.room));
      if (!cmd.ack_id.empty()) send_control(c, WsOp::Text, join_ack(cmd.nsp, cmd.ack_id));
      return;
    case CmdKind::Publish:
      fan_out(room_key(cmd.nsp, cmd.room), cmd.nsp, cmd.args);
      return;
    case CmdKind::Broadcast:
      fan_out(ns_key(cmd.nsp), cmd.nsp, cmd.args);
      return;
  }
}

void Server::join(Conn& c, const std::string& key) {
  auto [it, inserted] = room_ids_.try_emplace(key, static_cast<uint32_t>(members_.size()));
  if (inserted) members_.emplace_back();
  const uint32_t id = it->second;
  if (std::find(c.rooms.begin(), c.rooms.end(), id) != c.rooms.end()) return;
  c.rooms.push_back(id);
  members_[id].push_back(c.fd);
}

void Server::fan_out(const std::string& key, std::string_view nsp, std::string_view args) {
  ++stats_.publishes;
  const auto it = room_ids_.find(key);
  if (it == room_ids_.end()) return;
  Frame* f = Frame::make(WsOp::Text, message_packet(nsp, args));
  if (f == nullptr) return;
  for (int fd : members_[it->second]) send_frame(*conns_[fd], f);
  stats_.deliveries += members_[it->second].size();
  f->unref();
}

void Server::send_control(Conn& c, WsOp op, std::string_view payload) {
  Frame* f = Frame::make(op, payload);
  if (f == nullptr) {
    schedule_close(c);
    return;
  }
  send_frame(c, f);
  f->unref();
}

void Server::send_frame(Conn& c, Frame* f) {
  if (c.closing) return;
  const bool idle = c.out_head == c.out.size();
  if (opts_.mode == WriteMode::PerMessage && idle) {
    const ssize_t n = ::write(c.fd, f->data(), f->size());
    if (n == static_cast<ssize_t>(f->size())) return;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      schedule_close(c);
      return;
    }
    enqueue(c, f, n < 0 ? 0 : static_cast<size_t>(n));
    set_out_interest(c, true);
    return;
  }
  enqueue(c, f, 0);
  if (opts_.mode == WriteMode::Batched && !c.dirty && !c.out_armed) {
    c.dirty = true;
    dirty_.push_back(c.fd);
  }
}

void Server::enqueue(Conn& c, Frame* f, size_t already_written) {
  if (c.out_head == c.out.size()) {
    c.out.clear();
    c.out_head = 0;
    c.head_offset = already_written;
  }
  f->ref();
  c.out.push_back(f);
  c.out_bytes += f->size() - already_written;
  if (c.out_bytes > opts_.max_send_queue) {
    ++stats_.slow_consumers;
    schedule_close(c);
  }
}

void Server::flush(Conn& c) {
  while (c.out_head < c.out.size()) {
    ssize_t n;
    size_t asked;
    if (opts_.mode == WriteMode::Batched) {
      iovec iov[kMaxIov];
      int cnt = 0;
      asked = 0;
      for (size_t i = c.out_head; i < c.out.size() && cnt < kMaxIov; ++i, ++cnt) {
        const size_t skip = i == c.out_head ? c.head_offset : 0;
        iov[cnt].iov_base = const_cast<char*>(c.out[i]->data() + skip);
        iov[cnt].iov_len = c.out[i]->size() - skip;
        asked += iov[cnt].iov_len;
      }
      n = ::writev(c.fd, iov, cnt);
    } else {
      Frame* f = c.out[c.out_head];
      asked = f->size() - c.head_offset;
      n = ::write(c.fd, f->data() + c.head_offset, asked);
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      schedule_close(c);
      return;
    }
    size_t left = static_cast<size_t>(n);
    c.out_bytes -= left;
    while (left > 0) {
      Frame* f = c.out[c.out_head];
      const size_t rest = f->size() - c.head_offset;
      if (left < rest) {
        c.head_offset += left;
        break;
      }
      left -= rest;
      f->unref();
      c.out[c.out_head] = nullptr;
      ++c.out_head;
      c.head_offset = 0;
    }
    if (static_cast<size_t>(n) < asked) break;  // the socket buffer is full
  }
  if (c.out_head == c.out.size()) {
    c.out.clear();
    c.out_head = 0;
    set_out_interest(c, false);
    return;
  }
  // Drop written slots now and then so a long-backlogged queue does not grow forever.
  if (c.out_head >= 1024 && c.out_head * 2 >= c.out.size()) {
    c.out.erase(c.out.begin(), c.out.begin() + static_cast<std::ptrdiff_t>(c.out_head));
    c.out_head = 0;
  }
  set_out_interest(c, true);
}

void Server::set_out_interest(Conn& c, bool want) {
  if (c.out_armed == want) return;
  epoll_event ev{};
  ev.events = EPOLLIN | (want ? EPOLLOUT : 0u);
  ev.data.fd = c.fd;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  c.out_armed = want;
}

void Server::schedule_close(Conn& c) {
  if (c.closing) return;
  c.closing = true;
  closing_.push_back(c.fd);
}

void Server::close_now(Conn& c) {
  for (uint32_t id : c.rooms) {
    auto& m = members_[id];
    const auto it = std::find(m.begin(), m.end(), c.fd);
    if (it != m.end()) {
      *it = m.back();
      m.pop_back();
    }
  }
  for (size_t i = c.out_head; i < c.out.size(); ++i) c.out[i]->unref();
  const int fd = c.fd;
  ::close(fd);  // also leaves the epoll set
  conns_[fd].reset();
}

void Server::ping_all() {
  Frame* f = Frame::make(WsOp::Text, "2");
  if (f == nullptr) return;
  for (auto& c : conns_)
    if (c && c->upgraded && !c->closing) send_frame(*c, f);
  f->unref();
}

}  // namespace ceiling
