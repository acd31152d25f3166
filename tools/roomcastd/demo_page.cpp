#include "demo_page.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace roomcastd {

namespace {

// Default client options on purpose (polling first, then the upgrade): what a browser
// app written from the Socket.IO tutorial does. ?room= picks the room, ?name= the author.
constexpr const char* kPage = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>roomcast chat</title>
<style>
  body { font: 15px system-ui, sans-serif; margin: 2em; max-width: 40em; }
  #log { list-style: none; padding: 0; border: 1px solid #ccc; min-height: 8em; }
  #log li { padding: .2em .5em; border-bottom: 1px solid #eee; }
  #status { color: #666; }
</style>
<script src="socket.io.min.js"></script>
</head>
<body>
<h1>roomcast chat</h1>
<p id="status">connecting...</p>
<ul id="log"></ul>
<form id="form"><input id="msg" autocomplete="off" placeholder="message"> <button id="send">Send</button></form>
<script>
  const params = new URLSearchParams(location.search);
  const room = params.get("room") || "lobby";
  const name = params.get("name") || "anonymous";
  const status = document.getElementById("status");
  const log = document.getElementById("log");
  const socket = io("/chat");
  window.chat = { socket, room };
  function show() {
    const t = socket.io.engine ? socket.io.engine.transport.name : "-";
    status.textContent = (socket.connected ? "connected" : "disconnected") + " as " + name +
      " in " + room + " over " + t + (document.body.dataset.joined ? " (joined)" : "");
  }
  socket.on("connect", () => {
    socket.io.engine.on("upgrade", show);
    socket.emit("join", room, () => { document.body.dataset.joined = "1"; show(); });
    show();
  });
  socket.on("disconnect", show);
  socket.on("message", (who, text) => {
    const li = document.createElement("li");
    li.textContent = who + ": " + text;
    log.appendChild(li);
  });
  document.getElementById("form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = document.getElementById("msg");
    if (input.value) socket.emit("publish", room, name, input.value);
    input.value = "";
  });
</script>
</body>
</html>
)html";

}  // namespace

void add_demo_page(roomcast::Config& cfg, const std::string& client_bundle_path) {
  std::ifstream in(client_bundle_path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the client bundle " + client_bundle_path);
  std::ostringstream bundle;
  bundle << in.rdbuf();
  cfg.static_resources["/demo/"] = {"text/html; charset=utf-8", kPage};
  cfg.static_resources["/demo/socket.io.min.js"] = {"application/javascript; charset=utf-8", bundle.str()};
}

}  // namespace roomcastd
