// The seed example on the library: namespace "/chat", every socket joins "room1", and a
// "message" from anyone is re-emitted to everyone in "room1".
//
//   build/examples/chat_example [port]
//
// It builds in the main tree (target chat_example) and, as its own CMake project, against
// an installed roomcast: cmake -S examples -B build-examples -DCMAKE_PREFIX_PATH=<prefix>.
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include "roomcast/roomcast.h"

static roomcast::Server* g_server = nullptr;

int main(int argc, char** argv) {
  roomcast::Config cfg;
  cfg.port = argc > 1 ? uint16_t(std::atoi(argv[1])) : 3000;
  roomcast::Server server(cfg);
  g_server = &server;

  auto& chat = server.of("/chat");
  chat.on_connection([](roomcast::Socket& socket) { socket.join("room1"); });
  chat.on("message", [](roomcast::Socket& socket, const roomcast::Args& args, roomcast::Ack) {
    // Arguments are forwarded byte for byte, encoded once for all of room1.
    socket.nsp().to("room1").emit_args("message", args.forward());
  });

  std::signal(SIGINT, [](int) { g_server->stop(); });
  std::signal(SIGTERM, [](int) { g_server->stop(); });
  server.start();
  std::printf("chat example on http://%s:%u/chat\n", cfg.address.c_str(), server.port());
  std::fflush(stdout);
  server.wait();
  return 0;
}
