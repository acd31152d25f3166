#!/usr/bin/env node
// The roomcast demo contract on stock Socket.IO 4.8 attached to uWebSockets.js
// (`io.attachApp(app)`), the fastest configuration Socket.IO documents: with it,
// a room broadcast becomes one uWS `app.publish` to a topic instead of one
// Engine.IO write per socket. The application itself is the Node reference's
// (bench/peers/socketio-node/server.js), so the two Node peers differ only in
// the engine underneath.
//
// Usage: node server.mjs [--port 3000] [--host 127.0.0.1] [--max-backpressure BYTES]
// uWebSockets.js comes from the npm package `uws-pack` (a repack of the
// upstream binaries; see bench/peers/README.md for why that one).
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { installApp } = require("../socketio-node/server.js");
const { parsePeerArgs } = require("../peer_args.js");
const { Server } = require("socket.io");
const uws = await import("uws-pack");


// roomcastd queues 1 MiB per connection before calling it a slow consumer; the same budget
// here keeps saturation runs comparable (uWS's own default is 64 KiB).
const opts = parsePeerArgs(process.argv.slice(2), { maxBackpressure: 1 << 20 });
const app = uws.App();
const io = new Server({ maxBackpressure: opts.maxBackpressure });
io.attachApp(app);
installApp(io);

let listenSocket = null;
app.listen(opts.host, opts.port, (token) => {
  if (!token) {
    console.error(`socketio-uws: cannot listen on ${opts.host}:${opts.port}`);
    process.exit(1);
  }
  listenSocket = token;
  console.log(`socketio-uws listening on ${opts.host}:${uws.us_socket_local_port(token)}`);
});

const stop = () => {
  if (listenSocket) uws.us_listen_socket_close(listenSocket);
  listenSocket = null;
  io.close();
  setTimeout(() => process.exit(0), 500).unref();
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
