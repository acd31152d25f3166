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
const { Server } = require("socket.io");
const uws = await import("uws-pack");

function parseArgs(argv) {
  // roomcastd queues 1 MiB per connection before calling it a slow consumer;
  // the same budget here keeps saturation runs comparable (uWS's own default is 64 KiB).
  const opts = { port: 3000, host: "127.0.0.1", maxBackpressure: 1 << 20 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf("=");
    const key = eq >= 0 ? a.slice(0, eq) : a;
    const val = () => (eq >= 0 ? a.slice(eq + 1) : argv[++i]);
    if (key === "--port" || key === "-p") opts.port = Number(val());
    else if (key === "--host") opts.host = val();
    else if (key === "--max-backpressure") opts.maxBackpressure = Number(val());
    else if (key === "--shards") val(); // CLI parity with roomcastd; one thread here
    else if (key === "--help" || key === "-h") {
      console.log("usage: server.mjs [--port N] [--host ADDR] [--max-backpressure BYTES]");
      process.exit(0);
    } else {
      console.error(`unknown argument: ${a}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
    console.error("bad --port");
    process.exit(2);
  }
  if (!Number.isInteger(opts.maxBackpressure) || opts.maxBackpressure <= 0) {
    console.error("bad --max-backpressure");
    process.exit(2);
  }
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
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
