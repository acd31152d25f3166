// Fan-out across shards: with enough connections SO_REUSEPORT puts members on
// every shard, so each delivery below crosses shard boundaries somewhere.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Inbox, call, closeAll, connectAll, sleep, uniqueRoom, QUIET_MS } from "./helpers.mjs";

const CLIENTS = Number(process.env.XS_CLIENTS ?? 40);
const PUBLISHERS = 3;
const PER_PUBLISHER = Number(process.env.XS_MESSAGES ?? 200);
const DELIVERY_TIMEOUT_MS = Number(process.env.XS_TIMEOUT_MS ?? 30000);

// Checks a receiver's log: every publisher's sequence complete, in order, once.
function checkSequences(items, tag, who) {
  const seen = Array.from({ length: PUBLISHERS }, () => []);
  for (const args of items) {
    assert.equal(args[0], tag, `${who}: unexpected message ${JSON.stringify(args).slice(0, 100)}`);
    const [, p, seq] = args;
    seen[p].push(seq);
  }
  const want = Array.from({ length: PER_PUBLISHER }, (_, i) => i);
  for (let p = 0; p < PUBLISHERS; p++) {
    assert.deepEqual(seen[p], want, `${who}: publisher ${p} sequence (loss, duplicate or reorder)`);
  }
}

async function paced(sender, send) {
  for (let seq = 0; seq < PER_PUBLISHER; seq++) {
    send(sender, seq);
    if (seq % 20 === 19) await sleep(5); // bounded pacing: bursts of 20
  }
}

test(`${CLIENTS} members, ${PUBLISHERS} publishers x ${PER_PUBLISHER} msgs: no loss, no dup, per-publisher order`, async () => {
  const sockets = await connectAll(CLIENTS);
  try {
    const room = uniqueRoom("xs");
    await Promise.all(sockets.map(async (s) => assert.deepEqual(await call(s, "join", room), ["ok"])));
    const [count] = await call(sockets[0], "fetch_count", room);
    assert.equal(count, CLIENTS, "fetch_count sees members of every shard");

    const boxes = sockets.map((s) => new Inbox(s));
    const publishers = [sockets[0], sockets[CLIENTS >> 1], sockets[CLIENTS - 1]];
    const total = PUBLISHERS * PER_PUBLISHER;
    const t0 = Date.now();
    await Promise.all(publishers.map((pub, p) =>
      paced(pub, (s, seq) => s.emit("publish", room, "xs", p, seq, { pad: "x".repeat(seq % 64) }))));
    await Promise.all(boxes.map((b, i) => b.waitCount(total, `${total} messages at member #${i}`, DELIVERY_TIMEOUT_MS)));
    const elapsed = Date.now() - t0;
    await sleep(QUIET_MS);
    boxes.forEach((b, i) => {
      assert.equal(b.items.length, total, `member #${i}: total deliveries`);
      checkSequences(b.items.map((a) => a.slice(0, 3)), "xs", `member #${i}`);
    });
    console.log(`# cross-shard room fan-out: ${total * CLIENTS} deliveries in ${elapsed} ms`);
  } finally {
    closeAll(sockets);
  }
});

test("namespace broadcast across shards: each socket gets each broadcast once, in order", async () => {
  const sockets = await connectAll(CLIENTS, "/chat");
  try {
    const boxes = sockets.map((s) => new Inbox(s));
    const publishers = [sockets[1], sockets[2], sockets[3]];
    const total = PUBLISHERS * PER_PUBLISHER;
    await Promise.all(publishers.map((pub, p) => paced(pub, (s, seq) => s.emit("broadcast", "bc", p, seq))));
    await Promise.all(boxes.map((b, i) => b.waitCount(total, `${total} broadcasts at #${i}`, DELIVERY_TIMEOUT_MS)));
    await sleep(QUIET_MS);
    boxes.forEach((b, i) => {
      assert.equal(b.items.length, total, `socket #${i}: total broadcasts`);
      checkSequences(b.items, "bc", `socket #${i}`);
    });
  } finally {
    closeAll(sockets);
  }
});

test("to_id and room membership work across shards", async () => {
  const sockets = await connectAll(CLIENTS);
  try {
    const boxes = sockets.map((s) => new Inbox(s));
    // Ring: each socket addresses the next one by id.
    sockets.forEach((s, i) => s.emit("to_id", sockets[(i + 1) % CLIENTS].id, "ring", i));
    await Promise.all(boxes.map((b, i) => b.waitCount(1, `ring delivery at #${i}`)));
    await sleep(QUIET_MS);
    boxes.forEach((b, i) => assert.deepEqual(b.items, [["ring", (i + CLIENTS - 1) % CLIENTS]], `#${i}`));

    // Half leave, then a publish reaches exactly the remaining half.
    const room = uniqueRoom("half");
    await Promise.all(sockets.map((s) => call(s, "join", room)));
    const leavers = sockets.filter((_, i) => i % 2 === 1);
    await Promise.all(leavers.map((s) => call(s, "leave", room)));
    assert.deepEqual(await call(sockets[0], "fetch_count", room), [Math.ceil(CLIENTS / 2)]);
    sockets[0].emit("publish", room, "half");
    const stayers = boxes.filter((_, i) => i % 2 === 0);
    await Promise.all(stayers.map((b, i) => b.waitCount(2, `half delivery #${i}`)));
    await sleep(QUIET_MS);
    boxes.forEach((b, i) => {
      const halves = b.items.filter((a) => a[0] === "half").length;
      assert.equal(halves, i % 2 === 0 ? 1 : 0, `#${i} half deliveries`);
    });
  } finally {
    closeAll(sockets);
  }
});
