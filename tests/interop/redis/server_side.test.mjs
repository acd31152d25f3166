// serverSideEmit across a mixed cluster: one roomcastd and one Node socket.io 4.8 server
// (@socket.io/redis-adapter) living in this test process, so that the test holds Node's `io`
// itself, on a redis-server started here on a free loopback port.
//
//   ROOMCASTD=/path/to/roomcastd node --test tests/interop/redis/server_side.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { startRedis, startRoomcastd, redisClient, client, connected, call, closeAll, until } from "./cluster.mjs";

let redis, rc, io, pub, sub, admin, socket;
const serverPings = [];  // "server_ping" events roomcastd's handler sends to its own clients
const nodeHeard = [];    // what Node's io.on("ping") listener received

before(async () => {
  redis = await startRedis();
  rc = await startRoomcastd(redis.url);
  pub = await redisClient(redis.url);
  sub = await redisClient(redis.url);
  // No HTTP server: only the adapter of Node's "/" namespace takes part.
  io = new Server({ adapter: createAdapter(pub, sub) });
  io.on("ping", (...args) => {
    const ack = typeof args.at(-1) === "function" ? args.pop() : null;
    nodeHeard.push(args);
    if (ack) ack({ node: "node", args });
  });
  admin = await redisClient(redis.url);
  // Each node counts the other through this channel's subscribers (PUBSUB NUMSUB).
  await until("both nodes on the request channel of /", async () => {
    const [, n] = await admin.sendCommand(["PUBSUB", "NUMSUB", "socket.io-request#/#"]);
    return Number(n) >= 2;
  }, 10000);
  socket = client(rc.url, "/");
  socket.on("server_ping", (...args) => serverPings.push(args));
  await connected(socket);
});

after(async () => {
  if (socket) closeAll(socket);
  // io.close() needs an engine, which an io without HTTP server lacks: close the adapter alone.
  if (io) await io.of("/").adapter.close();
  for (const c of [pub, sub, admin]) if (c) await c.quit().catch(() => {});
  const problems = [];
  if (rc) {
    const r = await rc.stop();
    if (r.code !== 0 && r.sig !== "SIGTERM") problems.push(`roomcastd exit ${JSON.stringify(r)}`);
    if (/WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error:/.test(rc.log)) problems.push("sanitizer report");
    if (problems.length) console.log(`# roomcastd log:\n${rc.log}`);
  }
  if (redis) await redis.stop();
  assert.deepEqual(problems, []);
});

test("Node io.serverSideEmit reaches roomcastd's server-side handler", async () => {
  serverPings.length = 0;
  io.serverSideEmit("ping", 1, { a: [true, null] });
  await until("roomcastd's handler to run", () => serverPings.length >= 1);
  assert.deepEqual(serverPings, [[1, { a: [true, null] }]]);
});

test("Node serverSideEmitWithAck gets roomcastd's answer", async () => {
  serverPings.length = 0;
  const responses = await io.serverSideEmitWithAck("ping", 2, "two");
  assert.deepEqual(responses, [{ pong: [2, "two"] }]);
  // The handler's emit to roomcastd's clients and its answer travel separately.
  await until("roomcastd's handler to emit", () => serverPings.length >= 1);
  assert.deepEqual(serverPings, [[2, "two"]]);
});

test("roomcastd's server_side_emit reaches Node's io.on, binary included", async () => {
  nodeHeard.length = 0;
  socket.emit("server_emit", "ping", 3, { b: "x" });
  socket.emit("server_emit", "ping", Buffer.from([0, 1, 255]));
  await until("Node's listener to hear both", () => nodeHeard.length >= 2);
  assert.deepEqual(nodeHeard[0], [3, { b: "x" }]);
  assert.equal(nodeHeard[1].length, 1);
  assert.ok(Buffer.isBuffer(nodeHeard[1][0]), "binary argument arrives as a Buffer");
  assert.deepEqual([...nodeHeard[1][0]], [0, 1, 255]);
  // roomcastd does not hear its own server-side events.
  assert.deepEqual(serverPings.filter((p) => p[0] === 3), []);
});

test("roomcastd's server_side_emit_with_ack collects Node's answer", async () => {
  nodeHeard.length = 0;
  const [reply] = await call(socket, "server_emit", "ping", 4);
  assert.deepEqual(reply, { timed_out: false, responses: [{ node: "node", args: [4] }] });
  assert.deepEqual(nodeHeard, [[4]]);
});

test("roomcastd's server_side_emit_with_ack times out when a node does not answer; pending calls are bounded", async () => {
  // Node has no listener for "nobody": it never answers, and the adapter's 5 s timeout ends
  // each wait with what came (nothing). Meanwhile the table of waiting calls fills up to its
  // bound (ClusterAdapter::kMaxPendingServerSide = 1024): the call beyond it ends at once.
  const BOUND = 1024;
  const ask = (n, ms) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ack within ${ms} ms`)), ms);
    socket.emit("server_emit", "nobody", n, (r) => { clearTimeout(t); resolve({ r, at: Date.now() }); });
  });
  const started = Date.now();
  const waiting = [];
  for (let i = 0; i < BOUND; i++) waiting.push(ask(i, 12000));
  const beyond = await ask(BOUND, 3000);
  assert.deepEqual(beyond.r, { timed_out: true, responses: [] });
  assert.ok(beyond.at - started < 3000, "the call beyond the bound is refused at once");
  const all = await Promise.all(waiting);
  for (const { r, at } of all) {
    assert.deepEqual(r, { timed_out: true, responses: [] });
    assert.ok(at - started >= 4500, "waited for the timeout");
  }
});
