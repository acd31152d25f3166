// Engine.IO without Socket.IO, as the npm `engine.io` package offers it: raw text and
// binary messages on their own path (Config::engine_io_path), with the same transports
// (WebSocket, long-polling, the upgrade), heartbeat and limits as the Socket.IO endpoint.
#pragma once
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>

namespace roomcast {

namespace detail {
class Shard;
struct EngineAccess;
}

// A handle on one Engine.IO connection: cheap to copy, usable from any thread. Calls on a
// connection that has closed do nothing.
class EngineConnection {
 public:
  const std::string& id() const { return id_; }  // the Engine.IO sid
  unsigned shard() const;
  void send(std::string_view text) const;
  void send_binary(std::span<const uint8_t> bytes) const;
  void close() const;

 private:
  friend struct detail::EngineAccess;
  detail::Shard* shard_ = nullptr;
  uint32_t slot_ = 0, gen_ = 0;
  std::string id_;
};

// Called on the connection's shard thread.
struct EngineIoHandlers {
  std::function<void(const EngineConnection&)> on_open;
  std::function<void(const EngineConnection&, std::string_view data, bool binary)> on_message;
  std::function<void(const EngineConnection&, std::string_view reason)> on_close;
};

}  // namespace roomcast
