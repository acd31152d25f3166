#!/usr/bin/env node
// Reference implementation of the roomcast demo contract on stock Socket.IO 4.8
// (default engine, default options). The interop suite is proven against this
// server first, so any difference with roomcastd is roomcastd's to explain.
//
// Usage: node server.js [--port 3000] [--host 127.0.0.1] [--redis redis://127.0.0.1:6379]
// With --redis, joins a cluster through @socket.io/redis-adapter (classic pub/sub mode).
// Resolves socket.io from tests/interop/node_modules (one lockfile for both).
"use strict";

const path = require("node:path");
const http = require("node:http");
const { createRequire } = require("node:module");

function loadModule(name) {
  try {
    return require(name);
  } catch {
    const interop = path.resolve(__dirname, "../../../tests/interop/package.json");
    return createRequire(interop)(name);
  }
}
const loadSocketIo = () => loadModule("socket.io");

const { parsePeerArgs } = require("../peer_common.js");

function parseArgs(argv) {
  return parsePeerArgs(argv, { redis: "" }, "usage: server.js [--port N] [--host ADDR] [--redis URL]");
}

// Acks are optional in the contract: a client may emit without one.
function ackOf(args) {
  return typeof args[args.length - 1] === "function" ? args.pop() : () => {};
}

function installDemo(nsp) {
  nsp.on("connection", (socket) => {
    socket.on("join", (room, ...rest) => {
      const ack = ackOf(rest);
      socket.join(room);
      ack("ok");
    });
    socket.on("leave", (room, ...rest) => {
      const ack = ackOf(rest);
      socket.leave(room);
      ack("ok");
    });
    socket.on("publish", (room, ...args) => {
      nsp.to(room).emit("message", ...args);
    });
    socket.on("broadcast", (...args) => {
      nsp.emit("message", ...args);
    });
    socket.on("publish_multi", (rooms, ...args) => {
      nsp.to(rooms).emit("message", ...args);
    });
    socket.on("publish_except", (room, exceptRoom, ...args) => {
      nsp.to(room).except(exceptRoom).emit("message", ...args);
    });
    socket.on("publish_others", (room, ...args) => {
      socket.to(room).emit("message", ...args);
    });
    socket.on("to_id", (id, ...args) => {
      nsp.to(id).emit("message", ...args);
    });
    socket.on("echo", (...args) => {
      socket.emit("echo", ...args);
    });
    socket.on("ack_echo", (...args) => {
      const ack = ackOf(args);
      ack(...args);
    });
    socket.on("ask", (...args) => {
      socket.timeout(5000).emit("question", ...args, (err, ...answers) => {
        if (err) socket.emit("answer", "timeout");
        else socket.emit("answer", ...answers);
      });
    });
    socket.on("rooms", (...rest) => {
      ackOf(rest)([...socket.rooms]);
    });
    socket.on("disconnect_me", () => {
      socket.disconnect();
    });
    socket.on("whoami", (...rest) => {
      ackOf(rest)(socket.id);
    });
    socket.on("fetch_count", (room, ...rest) => {
      const ack = ackOf(rest);
      nsp.in(room).fetchSockets().then(
        (sockets) => ack(sockets.length),
        () => ack(-1),
      );
    });
  });
}

// The namespaces of the contract; shared with the uWebSockets.js peer so both
// Node peers serve exactly the same application.
function installApp(io) {
  installDemo(io.of("/"));
  installDemo(io.of("/chat"));
  const priv = io.of("/private");
  priv.use((socket, next) => {
    const auth = socket.handshake.auth;
    if (auth && auth.token === "secret") return next();
    const err = new Error("unauthorized");
    err.data = { reason: "bad token" };
    next(err);
  });
  installDemo(priv);
}

async function main() {
  const { Server } = loadSocketIo();
  const opts = parseArgs(process.argv.slice(2));
  const httpServer = http.createServer();
  const io = new Server(httpServer);
  if (opts.redis) {
    const { createClient } = loadModule("redis");
    const { createAdapter } = loadModule("@socket.io/redis-adapter");
    const pub = createClient({ url: opts.redis });
    const sub = pub.duplicate();
    for (const c of [pub, sub]) c.on("error", (e) => console.error(`redis: ${e.message}`));
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub));
  }
  installApp(io);

  httpServer.listen(opts.port, opts.host, () => {
    const { address, port } = httpServer.address();
    console.log(`socketio-node reference listening on ${address}:${port}${opts.redis ? " (redis adapter)" : ""}`);
  });

  const stop = () => {
    io.close();
    setTimeout(() => process.exit(0), 500).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

module.exports = { installApp, installDemo, parseArgs };

if (require.main === module) main();
