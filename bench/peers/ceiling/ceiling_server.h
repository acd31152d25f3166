// A single-threaded epoll server that speaks only the load path of the demo
// contract (see sio_min.h). It exists to show what the kernel and the loopback
// allow on this machine, so every server's numbers can be read against it:
//   PerMessage: one write() per message per socket, as a naive server would;
//   Batched:    each socket's frames of one loop turn go out in one writev().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "frame_ref.h"

namespace ceiling {

enum class WriteMode { PerMessage, Batched };

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 3000;
  WriteMode mode = WriteMode::Batched;
  size_t max_send_queue = 1 << 20;  // as roomcastd: beyond it the client is a slow consumer
  uint32_t ping_interval_ms = 25000;
  uint32_t ping_timeout_ms = 20000;
  uint32_t max_payload = 1000000;
};

struct Stats {
  uint64_t connections = 0;
  uint64_t publishes = 0;
  uint64_t deliveries = 0;
  uint64_t slow_consumers = 0;
};

class Server {
 public:
  explicit Server(Options opts);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; false with `err` set on failure.
  bool listen(std::string& err);
  uint16_t port() const { return port_; }
  // Serves until stop(); call after listen().
  void run();
  // Callable from any thread or a signal handler.
  void stop();
  const Stats& stats() const { return stats_; }

 private:
  struct Conn;

  void accept_all();
  void on_readable(Conn& c);
  void consume_http(Conn& c);
  void consume_frames(Conn& c, char* data, size_t len, size_t& used);
  void on_message(Conn& c, std::string_view msg);
  void join(Conn& c, const std::string& key);
  void fan_out(const std::string& key, std::string_view nsp, std::string_view args);
  void send_frame(Conn& c, Frame* f);
  void send_control(Conn& c, WsOp op, std::string_view payload);
  void enqueue(Conn& c, Frame* f, size_t already_written);
  void flush(Conn& c);
  void set_out_interest(Conn& c, bool want);
  void schedule_close(Conn& c);
  void close_now(Conn& c);
  void ping_all();

  Options opts_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  uint16_t port_ = 0;
  uint64_t next_sid_ = 1;
  Stats stats_;
  std::vector<std::unique_ptr<Conn>> conns_;  // indexed by fd
  std::unordered_map<std::string, uint32_t> room_ids_;
  std::vector<std::vector<int>> members_;  // by room id: member fds
  std::vector<int> dirty_;                 // Batched: sockets with frames queued this turn
  std::vector<int> closing_;               // closed at the end of the turn, never mid-fan-out
};

}  // namespace ceiling
