// Broadcasts with acknowledgements across a mixed cluster (socket.io 4.5+
// io.timeout(ms).to(room).emit(ev, ..., (err, responses) => ...)), and what Node's
// fetchSockets() learns of roomcastd's sockets: two roomcastd nodes and one Node socket.io
// 4.8 server (@socket.io/redis-adapter) living in this test process, with clients on all,
// on a redis-server started here on a free loopback port.
//
//   ROOMCASTD=/path/to/roomcastd node --test tests/interop/redis/broadcast_ack.test.mjs
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";
import { startRedis, startRoomcastd, redisClient, client, connected, call, closeAll, until } from "./cluster.mjs";

let redis, rc, rcB, io, http, pub, sub, admin;
const sockets = {};  // name -> client socket
const NSP = "/chat";

// Every client answers "q" with who it is and what it got; "silent" ones never answer.
function answering(name, socket, silent = false) {
  socket.on("q", (...args) => {
    const ack = typeof args.at(-1) === "function" ? args.pop() : null;
    if (ack && !silent) ack({ who: name, got: args });
  });
  return socket;
}

before(async () => {
  redis = await startRedis();
  [rc, rcB] = await Promise.all([startRoomcastd(redis.url), startRoomcastd(redis.url)]);
  pub = await redisClient(redis.url);
  sub = await redisClient(redis.url);
  http = createServer();
  io = new Server(http, { adapter: createAdapter(pub, sub) });
  io.of(NSP).on("connection", (s) => {
    s.on("join", (room, ack) => { s.join(room); ack("ok"); });
  });
  await new Promise((resolve) => http.listen(0, "127.0.0.1", resolve));
  const nodeUrl = `http://127.0.0.1:${http.address().port}`;
  admin = await redisClient(redis.url);
  // Each node counts the other through this channel's subscribers (PUBSUB NUMSUB).
  await until(`both nodes on the request channel of ${NSP}`, async () => {
    const [, n] = await admin.sendCommand(["PUBSUB", "NUMSUB", `socket.io-request#${NSP}#`]);
    return Number(n) >= 3;
  }, 10000);

  for (const [name, url, silent] of [["rc1", rc.url], ["rc2", rc.url], ["rcSilent", rc.url, true],
                                     ["node1", nodeUrl], ["node2", nodeUrl], ["rcB1", rcB.url]])
    sockets[name] = answering(name, client(url, NSP), silent);
  await connected(...Object.values(sockets));
  for (const name of ["rc1", "rc2", "node1", "node2", "rcB1"]) assert.deepEqual(await call(sockets[name], "join", "r"), ["ok"]);
  for (const name of ["rcSilent", "node1"]) assert.deepEqual(await call(sockets[name], "join", "quiet"), ["ok"]);
});

after(async () => {
  closeAll(Object.values(sockets));
  if (io) await new Promise((resolve) => io.close(resolve));
  for (const c of [pub, sub, admin]) if (c) await c.quit().catch(() => {});
  const problems = [];
  for (const node of [rc, rcB]) {
    if (!node) continue;
    const r = await node.stop();
    const before = problems.length;
    if (r.code !== 0 && r.sig !== "SIGTERM") problems.push(`roomcastd exit ${JSON.stringify(r)}`);
    if (/WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error:/.test(node.log)) problems.push("sanitizer report");
    if (problems.length > before) console.log(`# roomcastd log:\n${node.log}`);
  }
  if (redis) await redis.stop();
  assert.deepEqual(problems, []);
});

const byWho = (a, b) => (a.who < b.who ? -1 : a.who > b.who ? 1 : 0);

test("Node's io.timeout().to(room).emit gets the answers of both roomcastd nodes' clients too", async () => {
  const started = Date.now();
  const [err, responses] = await new Promise((resolve) => {
    io.of(NSP).timeout(4000).to("r").emit("q", 1, { b: [true] }, (e, r) => resolve([e, r]));
  });
  assert.equal(err, null);
  assert.deepEqual(responses.sort(byWho),
                   ["node1", "node2", "rc1", "rc2", "rcB1"].map((who) => ({ who, got: [1, { b: [true] }] })));
  assert.ok(Date.now() - started < 3000, "ended when everyone answered, not at the timeout");
});

test("a roomcastd client that never answers: Node's callback times out with the others' answers", async () => {
  const started = Date.now();
  const [err, responses] = await new Promise((resolve) => {
    io.of(NSP).timeout(700).to("quiet").emit("q", 2, (e, r) => resolve([e, r]));
  });
  assert.ok(err instanceof Error, "err set on timeout");
  assert.deepEqual(responses, [{ who: "node1", got: [2] }]);
  assert.ok(Date.now() - started >= 650);
});

test("roomcastd's emit_with_ack reaches Node's and the other roomcastd's clients and collects their answers", async () => {
  const [reply] = await call(sockets.rc1, "ask_room", "r", 3000, "q", 3, "x");
  assert.equal(reply.timed_out, false);
  // Local clients give every ack argument; Node's adapter forwards the first one.
  const got = reply.responses.map((args) => { assert.equal(args.length, 1); return args[0]; }).sort(byWho);
  assert.deepEqual(got, ["node1", "node2", "rc1", "rc2", "rcB1"].map((who) => ({ who, got: [3, "x"] })));
});

test("roomcastd's emit_with_ack times out with what came when a client stays silent", async () => {
  const started = Date.now();
  const [reply] = await call(sockets.rc2, "ask_room", "quiet", 700, "q", 4);
  assert.deepEqual(reply, { timed_out: true, responses: [[{ who: "node1", got: [4] }]] });
  assert.ok(Date.now() - started >= 650);
});

test("Node's fetchSockets() gets the handshake of roomcastd's sockets as socket.io describes it", async () => {
  const before = Date.now();
  const found = await io.of(NSP).in("quiet").fetchSockets();
  const ids = found.map((s) => s.id);
  assert.equal(found.length, 2, `two members of "quiet": ${ids}`);
  const remote = found.find((s) => s.id === sockets.rcSilent.id);
  assert.ok(remote, "roomcastd's socket is among them");
  const h = remote.handshake;
  assert.deepEqual(Object.keys(h).sort(),
                   ["address", "auth", "headers", "issued", "query", "secure", "time", "url", "xdomain"]);
  assert.equal(h.address, "127.0.0.1");
  assert.equal(h.headers.host, new URL(rc.url).host);
  assert.equal(h.xdomain, false);  // no Origin header from a Node client
  assert.equal(h.secure, false);
  assert.ok(Number.isInteger(h.issued) && h.issued <= before && before - h.issued < 60000, `issued ${h.issued}`);
  assert.equal(new Date(h.time).getTime(), Math.floor(h.issued / 1000) * 1000, `time ${h.time}`);
  assert.match(h.url, /^\/socket\.io\/\?/);
  assert.equal(h.query.EIO, "4");
  assert.equal(h.query.transport, "websocket");
  assert.deepEqual(h.auth, {});
  assert.deepEqual([...remote.rooms].sort(), [remote.id, "quiet"].sort());
  assert.deepEqual(remote.data, {});
});
