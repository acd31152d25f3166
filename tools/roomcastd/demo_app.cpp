// Demo contract (README "Demo app"):
//   join(room, ack) / leave(room, ack)            -> ack("ok")
//   publish(room, ...args)                        -> to(room).emit("message", ...args)
//   broadcast(...args)                            -> namespace emit("message", ...args)
//   publish_multi([rooms], ...args)               -> to(r1).to(r2)...emit("message", ...)
//   publish_except(room, except, ...args)         -> to(room).except(except).emit(...)
//   publish_others(room, ...args)                 -> socket.to(room).emit(...) (not the sender)
//   to_id(id, ...args)                            -> to(id).emit("message", ...)
//   echo(...args)                                 -> socket.emit("echo", ...args)
//   ack_echo(...args, ack)                        -> ack(...args)
//   ask(...args)                                  -> emit "question" with ack; reply -> "answer"
//   rooms(ack) / whoami(ack)                      -> the socket's rooms / id
//   fetch_count(room, ack)                        -> number of sockets in room, all shards
//   disconnect_me()                               -> server-side disconnect
//   server_emit(event, ...args[, ack])            -> serverSideEmit to the other cluster nodes;
//                                                    with ack: ack({timed_out, responses})
//   (server side) "ping"(...args[, ack]) from another node -> namespace emit("server_ping",
//                                                    ...args); ack({"pong": [...args]})
#include "demo_app.h"

#include <simdjson.h>

#include <chrono>

namespace roomcastd {

using roomcast::Ack;
using roomcast::Arg;
using roomcast::Args;
using roomcast::RawJson;
using roomcast::Socket;

namespace {

std::string json_string_array(const std::vector<std::string>& v) {
  std::string out = "[";
  for (size_t i = 0; i < v.size(); ++i) out += (i ? "," : "") + roomcast::json_quote(v[i]);
  return out + "]";
}

// A JSON array of strings, e.g. the rooms of publish_multi.
std::vector<std::string> string_array(std::string_view json) {
  std::vector<std::string> out;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(json.data(), json.size()).get(doc)) return out;
  simdjson::dom::array arr;
  if (doc.get_array().get(arr)) return out;
  for (auto el : arr) {
    std::string_view sv;
    if (!el.get_string().get(sv)) out.emplace_back(sv);
  }
  return out;
}

void install(roomcast::Namespace& nsp) {
  nsp.on("join", [](Socket& s, const Args& a, Ack ack) {
    if (auto room = a.str(0)) s.join(*room);
    if (ack) ack("ok");
  });
  nsp.on("leave", [](Socket& s, const Args& a, Ack ack) {
    if (auto room = a.str(0)) s.leave(*room);
    if (ack) ack("ok");
  });
  nsp.on("publish", [](Socket& s, const Args& a, Ack) {
    if (auto room = a.str(0)) s.nsp().to(*room).emit_args("message", a.forward(1));
  });
  nsp.on("broadcast", [](Socket& s, const Args& a, Ack) { s.nsp().all().emit_args("message", a.forward(0)); });
  nsp.on("publish_multi", [](Socket& s, const Args& a, Ack) {
    if (a.empty()) return;
    auto b = s.nsp().all();
    for (auto& r : string_array(a.raw(0))) b.to(r);
    b.emit_args("message", a.forward(1));
  });
  nsp.on("publish_except", [](Socket& s, const Args& a, Ack) {
    auto room = a.str(0), except = a.str(1);
    if (room && except) s.nsp().to(*room).except(*except).emit_args("message", a.forward(2));
  });
  nsp.on("publish_others", [](Socket& s, const Args& a, Ack) {
    if (auto room = a.str(0)) s.to(*room).emit_args("message", a.forward(1));
  });
  nsp.on("to_id", [](Socket& s, const Args& a, Ack) {
    if (auto id = a.str(0)) s.nsp().to(*id).emit_args("message", a.forward(1));
  });
  nsp.on("echo", [](Socket& s, const Args& a, Ack) {
    auto args = a.forward(0);
    s.emit_args("echo", args);
  });
  nsp.on("ack_echo", [](Socket&, const Args& a, Ack ack) {
    if (!ack) return;
    auto args = a.forward(0);
    ack.send(args);
  });
  nsp.on("ask", [](Socket& s, const Args& a, Ack) {
    auto args = a.forward(0);
    s.emit_with_ack("question", args, [](Socket& s, bool timed_out, const Args& reply) {
      if (timed_out) {
        s.emit("answer", "timeout");
      } else {
        auto r = reply.forward(0);
        s.emit_args("answer", r);
      }
    }, std::chrono::seconds(5));
  });
  nsp.on("rooms", [](Socket& s, const Args&, Ack ack) {
    if (!ack) return;
    std::string arr = json_string_array(s.rooms());
    ack(RawJson{arr});
  });
  nsp.on("whoami", [](Socket& s, const Args&, Ack ack) {
    if (ack) ack(s.id());
  });
  nsp.on("fetch_count", [](Socket& s, const Args& a, Ack ack) {
    auto room = a.str(0);
    if (!room || !ack) return;
    s.nsp().in(*room).fetch_sockets([ack](std::vector<roomcast::SocketInfo> found) {
      ack(int64_t(found.size()));
    });
  });
  nsp.on("disconnect_me", [](Socket& s, const Args&, Ack) { s.disconnect(); });
  nsp.on("server_emit", [](Socket& s, const Args& a, Ack ack) {
    auto event = a.str(0);
    if (!event) return;
    auto args = a.forward(1);
    if (!ack) {
      s.nsp().server_side_emit_args(*event, args);
      return;
    }
    s.nsp().server_side_emit_with_ack(*event, args, [ack](bool timed_out, const Args& responses) {
      std::string out = timed_out ? R"({"timed_out":true,"responses":[)" : R"({"timed_out":false,"responses":[)";
      for (size_t i = 0; i < responses.size(); ++i) out += (i ? "," : "") + std::string(responses.raw(i));
      out += "]}";
      ack(RawJson{out});
    });
  });
  nsp.on("ask_room", [](Socket& s, const Args& a, Ack ack) {
    auto room = a.str(0);
    auto ms = a.i64(1);
    auto event = a.str(2);
    if (!room || !ms || *ms <= 0 || !event || !ack) return;
    auto args = a.forward(3);
    roomcast::Broadcast b = room->empty() ? s.nsp().all() : s.nsp().to(*room);
    const bool sent = b.emit_with_ack(*event, args, [ack](bool timed_out, std::vector<Args> responses) {
      std::string out = timed_out ? R"({"timed_out":true,"responses":[)" : R"({"timed_out":false,"responses":[)";
      for (size_t i = 0; i < responses.size(); ++i) {
        out += i ? ",[" : "[";
        for (size_t k = 0; k < responses[i].size(); ++k) out += (k ? "," : "") + std::string(responses[i].raw(k));
        out += "]";
      }
      out += "]}";
      ack(RawJson{out});
    }, std::chrono::milliseconds(*ms));
    if (!sent) ack(RawJson{R"({"refused":true})"});
  });
  nsp.on_server_side("ping", [&nsp](const Args& a, roomcast::ServerSideAck ack) {
    nsp.all().emit_args("server_ping", a.forward(0));
    if (!ack) return;
    std::string out = R"({"pong":[)";
    for (size_t i = 0; i < a.size(); ++i) out += (i ? "," : "") + std::string(a.raw(i));
    out += "]}";
    ack(RawJson{out});
  });
}

}  // namespace

void install_demo_app(roomcast::Server& server, const std::vector<std::string>& namespaces) {
  for (auto& name : namespaces) install(server.of(name));
  auto& priv = server.of("/private");
  priv.use([](Socket& s, roomcast::Next next) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string_view token;
    const std::string& auth = s.auth();
    bool ok = !parser.parse(auth.data(), auth.size()).get(doc) && !doc["token"].get_string().get(token) &&
              token == "secret";
    if (ok)
      next();
    else
      next.refuse("unauthorized", R"({"reason":"bad token"})");
  });
  install(priv);
}

}  // namespace roomcastd
