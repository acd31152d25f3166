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
const { parsePeerArgs, uwsListen } = require("../peer_common.js");
const { Server } = require("socket.io");
const uws = await import("uws-pack");


// roomcastd queues 1 MiB per connection before calling it a slow consumer; the same budget
// here keeps saturation runs comparable (uWS's own default is 64 KiB).
const opts = parsePeerArgs(process.argv.slice(2), { maxBackpressure: 1 << 20 });
const app = uws.App();
const io = new Server({ maxBackpressure: opts.maxBackpressure });
io.attachApp(app);
installApp(io);

uwsListen(uws, app, opts, "socketio-uws", () => io.close());
