// The browser demo: a chat page at /demo/ that loads the socket.io client bundle from the
// npm package (served next to it as /demo/socket.io.min.js).
#pragma once
#include <string>

#include "roomcast/config.h"

namespace roomcastd {

// Reads the bundle (socket.io-client's dist/socket.io.min.js); throws if it cannot.
void add_demo_page(roomcast::Config& cfg, const std::string& client_bundle_path);

}  // namespace roomcastd
