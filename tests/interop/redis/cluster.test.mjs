// roomcastd as a peer in a Socket.IO cluster over Redis: two roomcastd nodes and one Node
// socket.io 4.8 node with @socket.io/redis-adapter, plus @socket.io/redis-emitter from this
// process, all on one redis-server started here on a free loopback port.
//
//   ROOMCASTD=/path/to/roomcastd node --test tests/interop/redis/
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Emitter } from "@socket.io/redis-emitter";
import {
  QUIET_MS, startRedis, startRoomcastd, startNode, redisClient, patternsAtLeast, client, connected,
  inbox, call, closeAll, until,
} from "./cluster.mjs";

let redis, rcA, rcB, node, admin;
const procs = () => [rcA, rcB, node, redis].filter(Boolean);

before(async () => {
  redis = await startRedis();
  [rcA, rcB, node] = await Promise.all([startRoomcastd(redis.url), startRoomcastd(redis.url), startNode(redis.url)]);
  admin = await redisClient(redis.url);
  // Three namespaces per node (/, /chat, /private), each one pattern subscription.
  await patternsAtLeast(admin, 9);
});

// Every roomcastd must stop cleanly on SIGTERM, without a sanitizer report in its log.
after(async () => {
  if (admin) await admin.quit().catch(() => {});
  const problems = [];
  for (const p of procs().reverse()) {
    const r = await p.stop();
    if (p.name !== "roomcastd") continue;
    if (r.code !== 0 && r.sig !== "SIGTERM") problems.push(`roomcastd exit ${JSON.stringify(r)}`);
    if (/WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error:/.test(p.log)) problems.push("sanitizer report");
    if (problems.length) console.log(`# roomcastd log:\n${p.log}`);
  }
  assert.deepEqual(problems, []);
});

const room = (tag) => `${tag}-${randomUUID()}`;

// One member and one bystander on each node, in /chat; the members join `r`.
async function cohort(r) {
  const nodes = { A: rcA, B: rcB, N: node };
  const members = {}, others = {}, boxes = {}, otherBoxes = {};
  for (const [k, n] of Object.entries(nodes)) {
    members[k] = client(n.url);
    others[k] = client(n.url);
    boxes[k] = inbox(members[k]);
    otherBoxes[k] = inbox(others[k]);
  }
  await connected(...Object.values(members), ...Object.values(others));
  await Promise.all(Object.values(members).map((s) => call(s, "join", r)));
  return { members, others, boxes, otherBoxes, close: () => closeAll(Object.values(members), Object.values(others)) };
}

async function expectDelivered(boxes, want, what) {
  await until(what, () => Object.values(boxes).every((b) => b.length >= 1));
  await sleep(QUIET_MS);  // and nothing more arrives
  for (const [k, b] of Object.entries(boxes)) assert.deepEqual(b, [want], `${what}: node ${k}`);
}

async function expectNothing(boxes, what) {
  await sleep(QUIET_MS);
  for (const [k, b] of Object.entries(boxes)) assert.deepEqual(b, [], `${what}: node ${k} got something`);
}

for (const from of ["A", "N"]) {
  test(`room publish from ${from === "A" ? "roomcastd" : "Node"} reaches members on every node and nobody else`, async () => {
    const r = room("pub");
    const c = await cohort(r);
    try {
      c.members[from].emit("publish", r, "hello", { n: 1.5, list: [1, null, "x"] }, 42);
      await expectDelivered(c.boxes, ["hello", { n: 1.5, list: [1, null, "x"] }, 42], "room publish");
      await expectNothing(c.otherBoxes, "bystanders");
    } finally {
      c.close();
    }
  });
}

test("namespace broadcast spans nodes and stays in its namespace", async () => {
  const r = room("nsp");
  const c = await cohort(r);
  const root = [client(rcA.url, "/"), client(node.url, "/"), client(rcB.url, "/")];
  const rootBoxes = Object.fromEntries(root.map((s, i) => [i, inbox(s)]));
  await connected(...root);
  try {
    c.others.B.emit("broadcast", "to-all");
    await expectDelivered({ ...c.boxes, ...Object.fromEntries(Object.entries(c.otherBoxes).map(([k, v]) => [`o${k}`, v])) },
                          ["to-all"], "namespace broadcast");
    await expectNothing(rootBoxes, "namespace /");
  } finally {
    c.close();
    closeAll(root);
  }
});

for (const from of ["A", "N"]) {
  test(`binary payloads cross from ${from === "A" ? "roomcastd" : "Node"}`, async () => {
    const r = room("bin");
    const c = await cohort(r);
    try {
      const blob = Buffer.from([0, 1, 2, 250, 255]);
      c.members[from].emit("publish", r, "bin", blob, { nested: Buffer.from("xyz") });
      await until("binary on every node", () => Object.values(c.boxes).every((b) => b.length >= 1));
      for (const [k, b] of Object.entries(c.boxes)) {
        assert.equal(b.length, 1, `node ${k}`);
        const [tag, got, obj] = b[0];
        assert.equal(tag, "bin");
        assert.ok(Buffer.isBuffer(got), `node ${k}: binary arrives as binary`);
        assert.deepEqual([...got], [...blob], `node ${k}`);
        assert.deepEqual([...obj.nested], [..."xyz"].map((ch) => ch.charCodeAt(0)), `node ${k}: nested binary`);
      }
    } finally {
      c.close();
    }
  });
}

test("socket.to(room) from a roomcastd socket skips the sender only", async () => {
  const r = room("others");
  const c = await cohort(r);
  try {
    c.members.A.emit("publish_others", r, "not-you");
    const rest = { B: c.boxes.B, N: c.boxes.N };
    await expectDelivered(rest, ["not-you"], "publish_others");
    assert.deepEqual(c.boxes.A, [], "the sender got its own message");
  } finally {
    c.close();
  }
});

test("to(socketId) from Node reaches a roomcastd socket (20-character ids)", async () => {
  const [target, sender] = [client(rcA.url), client(node.url)];
  const box = inbox(target);
  await connected(target, sender);
  try {
    assert.equal(target.id.length, 20);
    sender.emit("to_id", target.id, "direct");
    await until("direct message", () => box.length >= 1);
    assert.deepEqual(box, [["direct"]]);
  } finally {
    closeAll(target, sender);
  }
});

test("@socket.io/redis-emitter reaches members on every node, binary included", async () => {
  const r = room("emit");
  const c = await cohort(r);
  const emitter = new Emitter(admin);
  try {
    emitter.of("/chat").to(r).emit("message", "from-backend", Buffer.from([9, 8]));
    await until("emitter message everywhere", () => Object.values(c.boxes).every((b) => b.length >= 1));
    await sleep(QUIET_MS);
    for (const [k, b] of Object.entries(c.boxes)) {
      assert.equal(b.length, 1, `node ${k}`);
      assert.equal(b[0][0], "from-backend");
      assert.deepEqual([...b[0][1]], [9, 8], `node ${k}`);
    }
    await expectNothing(c.otherBoxes, "bystanders");
    emitter.of("/chat").to(r).except(c.members.A.id).emit("message", "except-A");
    await until("except delivery", () => c.boxes.B.length >= 2 && c.boxes.N.length >= 2);
    await sleep(QUIET_MS);
    assert.equal(c.boxes.A.length, 1, "excepted roomcastd socket got the message");
  } finally {
    c.close();
  }
});

test("emitter socketsJoin / socketsLeave are applied on roomcastd and Node", async () => {
  const r = room("sj"), r2 = room("sj2");
  const c = await cohort(r);
  const emitter = new Emitter(admin);
  const hasRoom = async (s, name) => (await call(s, "rooms"))[0].includes(name);
  try {
    emitter.of("/chat").in(r).socketsJoin(r2);
    for (const [k, s] of Object.entries(c.members)) await until(`node ${k} joined ${r2}`, () => hasRoom(s, r2));
    for (const [k, s] of Object.entries(c.others)) assert.equal(await hasRoom(s, r2), false, `bystander on ${k}`);
    emitter.of("/chat").to(r2).emit("message", "via-joined-room");
    await expectDelivered(c.boxes, ["via-joined-room"], "emit to the joined room");
    emitter.of("/chat").in(r2).socketsLeave(r2);
    for (const [k, s] of Object.entries(c.members)) await until(`node ${k} left ${r2}`, async () => !(await hasRoom(s, r2)));
  } finally {
    c.close();
  }
});

for (const from of ["N", "A"]) {
  test(`fetchSockets from ${from === "N" ? "Node" : "roomcastd"} counts the sockets of every node`, async () => {
    const r = room("fetch");
    const c = await cohort(r);
    try {
      assert.deepEqual(await call(c.members[from], "fetch_count", r), [3]);
      assert.deepEqual(await call(c.others[from], "fetch_count", room("empty")), [0]);
    } finally {
      c.close();
    }
  });
}

test("allRooms and sockets requests are answered by roomcastd nodes", async () => {
  const r = room("all");
  const c = await cohort(r);
  const sub = admin.duplicate();
  sub.on("error", () => {});
  await sub.connect();
  const responses = [];
  await sub.subscribe("socket.io-response#/chat#", (m) => responses.push(JSON.parse(m)));
  try {
    await admin.publish("socket.io-request#/chat#", JSON.stringify({ uid: "test-peer", requestId: "q1", type: 1 }));
    await until("3 allRooms responses", () => responses.filter((x) => x.requestId === "q1").length >= 3);
    const rooms = new Set(responses.filter((x) => x.requestId === "q1").flatMap((x) => x.rooms));
    assert.ok(rooms.has(r));
    for (const s of Object.values(c.members)) assert.ok(rooms.has(s.id), `socket id ${s.id} listed as a room`);
    await admin.publish("socket.io-request#/chat#", JSON.stringify({ uid: "test-peer", requestId: "q2", type: 0, rooms: [r] }));
    await until("3 sockets responses", () => responses.filter((x) => x.requestId === "q2").length >= 3);
    const ids = responses.filter((x) => x.requestId === "q2").flatMap((x) => x.sockets).sort();
    assert.deepEqual(ids, Object.values(c.members).map((s) => s.id).sort());
  } finally {
    await sub.quit().catch(() => {});
    c.close();
  }
});

test("emitter disconnectSockets reaches roomcastd sockets", async () => {
  const r = room("dc");
  const c = await cohort(r);
  try {
    const gone = Object.values(c.members).map((s) => new Promise((resolve) => s.once("disconnect", resolve)));
    new Emitter(admin).of("/chat").in(r).disconnectSockets();
    const reasons = await Promise.all(gone);
    assert.deepEqual(reasons, ["io server disconnect", "io server disconnect", "io server disconnect"]);
    for (const s of Object.values(c.others)) assert.ok(s.connected, "bystander disconnected");
  } finally {
    c.close();
  }
});
