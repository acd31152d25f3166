// Rooms: membership, targeted emits (to / to-many / except / socket.to),
// room listing, and cleanup of memberships on disconnect.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Inbox, call, closeAll, connectAll, settle, sleep, uniqueRoom, withoutMarkers, STEP_TIMEOUT_MS,
} from "./helpers.mjs";

async function join(socket, ...rooms) {
  for (const r of rooms) assert.deepEqual(await call(socket, "join", r), ["ok"], `join ${r}`);
}

// fetch_count is answered after the server has processed earlier disconnects
// asynchronously, so poll it (bounded) until it reaches the expected value.
async function countEventually(socket, room, expected) {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  let last;
  for (;;) {
    [last] = await call(socket, "fetch_count", room);
    if (last === expected || Date.now() > deadline) break;
    await sleep(25);
  }
  assert.equal(last, expected, `fetch_count(${room})`);
}

test("room emit reaches members only; leave stops delivery", async () => {
  const [pub, m1, m2, outsider] = await connectAll(4);
  try {
    const room = uniqueRoom();
    await join(m1, room);
    await join(m2, room);
    const [b1, b2, bo] = [m1, m2, outsider].map((s) => new Inbox(s));
    const pubBox = new Inbox(pub);

    pub.emit("publish", room, "hello", 1);
    await Promise.all([b1.waitCount(1, "m1"), b2.waitCount(1, "m2")]);
    let marker = await settle(pub, [outsider, pub], [bo, pubBox]);
    assert.deepEqual(b1.items, [["hello", 1]]);
    assert.deepEqual(b2.items, [["hello", 1]]);
    assert.deepEqual(withoutMarkers(bo.items, marker), [], "non-member got nothing");
    assert.deepEqual(withoutMarkers(pubBox.items, marker), [], "non-member publisher got nothing");

    assert.deepEqual(await call(m2, "leave", room), ["ok"]);
    pub.emit("publish", room, "second");
    await b1.waitCount(2, "m1 second");
    marker = await settle(pub, [m2], [b2]);
    assert.deepEqual(b1.items, [["hello", 1], ["second"]]);
    assert.deepEqual(withoutMarkers(b2.items, marker), [["hello", 1]], "left member got nothing new");
  } finally {
    closeAll(pub, m1, m2, outsider);
  }
});

test("publisher that is a member receives its own publish", async () => {
  const [a, b] = await connectAll(2);
  try {
    const room = uniqueRoom();
    await join(a, room);
    await join(b, room);
    const [ba, bb] = [new Inbox(a), new Inbox(b)];
    a.emit("publish", room, "self-too");
    await Promise.all([ba.waitCount(1, "self"), bb.waitCount(1, "peer")]);
    await sleep(100);
    assert.deepEqual(ba.items, [["self-too"]]);
    assert.deepEqual(bb.items, [["self-too"]]);
  } finally {
    closeAll(a, b);
  }
});

test("publish_multi delivers the union of rooms without duplicates", async () => {
  const [pub, both, only1, only2, none] = await connectAll(5);
  try {
    const [r1, r2, r3] = [uniqueRoom("r1"), uniqueRoom("r2"), uniqueRoom("r3")];
    await join(both, r1, r2);
    await join(only1, r1);
    await join(only2, r2);
    await join(none, r3);
    const boxes = [both, only1, only2, none].map((s) => new Inbox(s));
    pub.emit("publish_multi", [r1, r2], "multi", { k: [1, 2] });
    await Promise.all(boxes.slice(0, 3).map((b, i) => b.waitCount(1, `member #${i}`)));
    const marker = await settle(pub, [both, only1, only2, none], boxes);
    for (const b of boxes.slice(0, 3)) {
      assert.deepEqual(withoutMarkers(b.items, marker), [["multi", { k: [1, 2] }]], "exactly once");
    }
    assert.deepEqual(withoutMarkers(boxes[3].items, marker), [], "member of another room only");
  } finally {
    closeAll(pub, both, only1, only2, none);
  }
});

test("publish_except excludes members of the except room", async () => {
  const [pub, inBoth, inRoom, inExceptOnly] = await connectAll(4);
  try {
    const [room, ex] = [uniqueRoom("to"), uniqueRoom("except")];
    await join(inBoth, room, ex);
    await join(inRoom, room);
    await join(inExceptOnly, ex);
    const boxes = [inBoth, inRoom, inExceptOnly].map((s) => new Inbox(s));
    pub.emit("publish_except", room, ex, "not-for-ex");
    await boxes[1].waitCount(1, "member outside except room");
    const marker = await settle(pub, [inBoth, inRoom, inExceptOnly], boxes);
    assert.deepEqual(withoutMarkers(boxes[0].items, marker), [], "member of both is excluded");
    assert.deepEqual(withoutMarkers(boxes[1].items, marker), [["not-for-ex"]]);
    assert.deepEqual(withoutMarkers(boxes[2].items, marker), [], "except-only is not a target");
  } finally {
    closeAll(pub, inBoth, inRoom, inExceptOnly);
  }
});

test("publish_others (socket.to) excludes the sender", async () => {
  const [sender, peer1, peer2] = await connectAll(3);
  try {
    const room = uniqueRoom();
    for (const s of [sender, peer1, peer2]) await join(s, room);
    const [bs, b1, b2] = [sender, peer1, peer2].map((s) => new Inbox(s));
    sender.emit("publish_others", room, "from-sender", true);
    await Promise.all([b1.waitCount(1, "peer1"), b2.waitCount(1, "peer2")]);
    const marker = await settle(peer1, [sender], [bs]);
    assert.deepEqual(withoutMarkers(bs.items, marker), [], "sender excluded");
    assert.deepEqual(b1.items, [["from-sender", true]]);
    assert.deepEqual(b2.items, [["from-sender", true]]);
  } finally {
    closeAll(sender, peer1, peer2);
  }
});

test("rooms() lists own id and joined rooms; leave removes", async () => {
  const [s] = await connectAll(1);
  try {
    const [a, b] = [uniqueRoom("a"), uniqueRoom("b")];
    let [rooms] = await call(s, "rooms");
    assert.deepEqual(rooms, [s.id]);
    await join(s, a, b);
    [rooms] = await call(s, "rooms");
    assert.deepEqual([...rooms].sort(), [s.id, a, b].sort());
    await call(s, "leave", a);
    [rooms] = await call(s, "rooms");
    assert.deepEqual([...rooms].sort(), [s.id, b].sort());
    // Joining twice is idempotent.
    await join(s, b);
    [rooms] = await call(s, "rooms");
    assert.deepEqual([...rooms].sort(), [s.id, b].sort());
  } finally {
    closeAll(s);
  }
});

test("fetch_count counts members across connections", async () => {
  const sockets = await connectAll(8);
  try {
    const room = uniqueRoom();
    for (const s of sockets) await join(s, room);
    await countEventually(sockets[0], room, 8);
    await countEventually(sockets[0], uniqueRoom("empty"), 0);
    // Own id is a room with exactly one member.
    await countEventually(sockets[0], sockets[3].id, 1);
  } finally {
    closeAll(sockets);
  }
});

test("a disconnected client leaves all its rooms (client, server, and abrupt close)", async () => {
  const [observer, viaClient, viaServer, viaAbort] = await connectAll(4);
  try {
    const [r1, r2] = [uniqueRoom("r1"), uniqueRoom("r2")];
    await join(observer, r1);
    for (const s of [viaClient, viaServer, viaAbort]) await join(s, r1, r2);
    await countEventually(observer, r1, 4);
    await countEventually(observer, r2, 3);

    viaClient.disconnect();
    await countEventually(observer, r1, 3);
    await countEventually(observer, r2, 2);

    viaServer.emit("disconnect_me");
    await countEventually(observer, r1, 2);
    await countEventually(observer, r2, 1);

    // Engine close without a Socket.IO DISCONNECT packet.
    viaAbort.io.engine.close();
    await countEventually(observer, r1, 1);
    await countEventually(observer, r2, 0);

    // And nothing is delivered to the departed.
    const box = new Inbox(observer);
    observer.emit("publish", r1, "after");
    await box.waitCount(1, "observer still receives");
    assert.deepEqual(box.items, [["after"]]);
  } finally {
    closeAll(observer, viaClient, viaServer, viaAbort);
  }
});
