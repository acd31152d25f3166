#!/usr/bin/env node
// Raw uWebSockets.js pub/sub, no Socket.IO: the reference point for what the fastest
// WebSocket server in Node's ecosystem delivers with no protocol on top. It speaks
// roomcast-bench's --raw contract: text `join <room>` subscribes the connection to the
// topic <room> and is answered `ok`; text `pub <room> <payload>` publishes <payload> to
// every subscriber of <room> (the publisher too, when subscribed).
//
// Usage: node server.mjs [--port 3000] [--host 127.0.0.1] [--max-backpressure BYTES]
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { parsePeerArgs, uwsListen } = require("../peer_common.js");
const uws = await import("uws-pack");

// The same 1 MiB per-connection budget as roomcastd and the Socket.IO peers.
const opts = parsePeerArgs(process.argv.slice(2), { maxBackpressure: 1 << 20 });
const SPACE = 0x20;
const app = uws.App();
app.ws("/*", {
  compression: uws.DISABLED,
  maxPayloadLength: 1 << 20,
  maxBackpressure: opts.maxBackpressure,
  idleTimeout: 120,
  message: (ws, message, isBinary) => {
    if (isBinary) return;
    const b = Buffer.from(message);  // a view, not a copy
    if (b.length > 5 && b.toString("latin1", 0, 5) === "join ") {
      ws.subscribe(b.toString("latin1", 5));
      ws.send("ok", false);
    } else if (b.length > 4 && b.toString("latin1", 0, 4) === "pub ") {
      const sp = b.indexOf(SPACE, 4);
      if (sp < 0) return;
      app.publish(b.toString("latin1", 4, sp), b.subarray(sp + 1), false);
    }
  },
});

uwsListen(uws, app, opts, "uws-raw");
