// The demo app roomcastd serves: the contract load tools and interop tests rely on.
#pragma once
#include <string>
#include <vector>

#include "roomcast/server.h"

namespace roomcastd {

// Installs the demo events on each namespace in `namespaces`, plus "/private" whose
// middleware wants auth {"token":"secret"}.
void install_demo_app(roomcast::Server& server, const std::vector<std::string>& namespaces);

}  // namespace roomcastd
