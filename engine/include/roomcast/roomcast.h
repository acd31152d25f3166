// roomcast: the whole public API in one include. A Socket.IO v5 server on sharded io_uring
// event loops; server.h documents the threading rules, config.h every setting.
//
//   #include "roomcast/roomcast.h"
//
//   int main() {
//     roomcast::Config cfg;
//     cfg.port = 3000;
//     roomcast::Server server(cfg);
//     server.of("/").on("ping", [](roomcast::Socket& s, const roomcast::Args&, roomcast::Ack ack) {
//       if (ack) ack("pong");
//     });
//     server.run();  // until stop() from another thread or a signal handler
//   }
//
// Installed, it is found by CMake (find_package(roomcast CONFIG REQUIRED), then link
// roomcast::roomcast) or by pkg-config (pkg-config --cflags --libs --static roomcast).
#pragma once

#include "roomcast/args.h"       // event arguments: read, forward, encode
#include "roomcast/config.h"     // Config: ports, shards, timeouts, limits
#include "roomcast/engine_io.h"  // the bare Engine.IO endpoint's callbacks
#include "roomcast/faults.h"     // fault injection for tests
#include "roomcast/server.h"     // Server, Namespace, Socket, Broadcast
#include "roomcast/version.h"    // ROOMCAST_VERSION_*
