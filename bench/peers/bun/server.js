// Bun's built-in WebSocket pub/sub (Bun.serve, itself on uSockets), no Socket.IO, for
// roomcast-bench's --raw contract: text `join <room>` subscribes to the topic <room> and
// is answered `ok`; text `pub <room> <payload>` publishes <payload> to every subscriber.
//
// Usage: bun server.js [--port 3000] [--host 127.0.0.1] [--max-backpressure BYTES]
// (bun from this folder's package: bench/peers/bun/node_modules/.bin/bun)
const { parsePeerArgs } = require("../peer_common.js");

const opts = parsePeerArgs(process.argv.slice(2), { maxBackpressure: 1 << 20 });
const server = Bun.serve({
  hostname: opts.host,
  port: opts.port,
  fetch(req, srv) {
    if (srv.upgrade(req)) return undefined;
    return new Response("WebSocket only\n", { status: 426 });
  },
  websocket: {
    perMessageDeflate: false,
    maxPayloadLength: 1 << 20,
    backpressureLimit: opts.maxBackpressure,
    closeOnBackpressureLimit: false,
    idleTimeout: 120,
    message(ws, msg) {
      if (typeof msg !== "string") return;
      if (msg.startsWith("join ")) {
        ws.subscribe(msg.slice(5));
        ws.send("ok");
      } else if (msg.startsWith("pub ")) {
        const sp = msg.indexOf(" ", 4);
        if (sp > 0) server.publish(msg.slice(4, sp), msg.slice(sp + 1));
      }
    },
  },
});
console.log(`bun-raw listening on ws://${opts.host}:${server.port}/`);

for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => { server.stop(true); process.exit(0); });
