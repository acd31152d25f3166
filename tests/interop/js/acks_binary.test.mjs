// Acks in both directions, binary attachments, and argument fidelity.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  Inbox, call, closeAll, connectAll, sleep, uniqueRoom, withTimeout, STEP_TIMEOUT_MS,
} from "./helpers.mjs";

function assertBytes(actual, expected, where) {
  assert.ok(Buffer.isBuffer(actual) || actual instanceof Uint8Array || actual instanceof ArrayBuffer,
    `${where}: expected binary, got ${typeof actual} ${JSON.stringify(actual)?.slice(0, 80)}`);
  assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), `${where}: bytes differ`);
}

test("client->server ack: ack_echo returns every argument", async () => {
  const [s] = await connectAll(1);
  try {
    assert.deepEqual(await call(s, "ack_echo"), []);
    assert.deepEqual(await call(s, "ack_echo", "one"), ["one"]);
    const args = [1, "two", { three: [3, { four: null }] }, true, -0.25];
    assert.deepEqual(await call(s, "ack_echo", ...args), args);
    // Many outstanding acks resolve to their own arguments.
    const many = await Promise.all(Array.from({ length: 50 }, (_, i) => call(s, "ack_echo", i, `n${i}`)));
    many.forEach((vals, i) => assert.deepEqual(vals, [i, `n${i}`]));
  } finally {
    closeAll(s);
  }
});

test("server->client ack: ask -> question(ack) -> answer", async () => {
  const [s] = await connectAll(1);
  try {
    const questions = [];
    s.on("question", (...args) => {
      const ack = args.pop();
      if (typeof ack !== "function") {
        questions.push(["question without ack", ack, ...args]);
        return;
      }
      questions.push(args);
      ack("reply", args.length, { echoed: args });
    });
    const answers = new Inbox(s, "answer");
    s.emit("ask", "q1", 2, { deep: [true] });
    await answers.waitCount(1, "answer");
    assert.deepEqual(questions, [["q1", 2, { deep: [true] }]]);
    assert.deepEqual(answers.items, [["reply", 3, { echoed: ["q1", 2, { deep: [true] }] }]]);

    // Two questions in flight are matched to their own acks.
    s.emit("ask", "a");
    s.emit("ask", "b");
    await answers.waitCount(3, "two more answers");
    const got = answers.items.slice(1).map((a) => a[2].echoed[0]).sort();
    assert.deepEqual(got, ["a", "b"]);
  } finally {
    closeAll(s);
  }
});

test("server->client ack with binary answer", async () => {
  const [s] = await connectAll(1);
  try {
    s.on("question", (...args) => {
      const ack = args.pop();
      ack(Buffer.from([7, 7, 7]), { b: Buffer.from("xyz") });
    });
    const answers = new Inbox(s, "answer");
    s.emit("ask", "bin?");
    await answers.waitCount(1, "binary answer");
    const [[buf, obj]] = answers.items;
    assertBytes(buf, [7, 7, 7], "answer[0]");
    assertBytes(obj.b, Buffer.from("xyz"), "answer[1].b");
  } finally {
    closeAll(s);
  }
});

test("server->client ack timeout -> answer 'timeout'", async () => {
  const [s] = await connectAll(1);
  try {
    let asked = 0;
    s.on("question", () => { asked++; }); // never acks
    const answers = new Inbox(s, "answer");
    s.emit("ask", "silence");
    await answers.waitCount(1, "timeout answer", 9000);
    assert.equal(asked, 1);
    assert.deepEqual(answers.items, [["timeout"]]);
  } finally {
    closeAll(s);
  }
});

test("binary echo: Buffer/Uint8Array args, nested, several attachments", async () => {
  const [s] = await connectAll(1);
  try {
    const a = Buffer.from([0, 1, 2, 253, 254, 255]);
    const b = new Uint8Array([9, 8, 7]);
    const big = Buffer.alloc(200 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const c = Buffer.from("third");
    const d = Buffer.from([42]);
    const box = new Inbox(s, "echo");
    s.emit("echo", a, { nested: { bin: b, list: [c, "str", { d }] }, n: 1.5 }, "tail", big);
    await box.waitCount(1, "binary echo");
    const [[ra, robj, rtail, rbig]] = box.items;
    assertBytes(ra, a, "arg0");
    assertBytes(robj.nested.bin, b, "nested.bin");
    assertBytes(robj.nested.list[0], c, "nested.list[0]");
    assert.equal(robj.nested.list[1], "str");
    assertBytes(robj.nested.list[2].d, d, "nested.list[2].d");
    assert.equal(robj.n, 1.5);
    assert.equal(rtail, "tail");
    assertBytes(rbig, big, "200 KiB arg");
    assert.deepEqual(Object.keys(robj), ["nested", "n"]);
  } finally {
    closeAll(s);
  }
});

test("binary ack: ack_echo with attachments", async () => {
  const [s] = await connectAll(1);
  try {
    const x = Buffer.from([1, 2, 3]);
    const y = Buffer.from([4, 5]);
    const [rx, robj, rs] = await call(s, "ack_echo", x, { y, z: [y, x] }, "s");
    assertBytes(rx, x, "ack[0]");
    assertBytes(robj.y, y, "ack[1].y");
    assertBytes(robj.z[0], y, "ack[1].z[0]");
    assertBytes(robj.z[1], x, "ack[1].z[1]");
    assert.equal(rs, "s");
  } finally {
    closeAll(s);
  }
});

test("binary publish fans out attachments to every member", async () => {
  const sockets = await connectAll(5);
  try {
    const room = uniqueRoom();
    for (const s of sockets) assert.deepEqual(await call(s, "join", room), ["ok"]);
    const boxes = sockets.map((s) => new Inbox(s));
    const p1 = Buffer.from("payload-one");
    const p2 = Buffer.from([0, 0, 0, 1]);
    // Interleave binary and text publishes: attachments must not cross packets.
    sockets[0].emit("publish", room, "bin", p1, { p2 });
    sockets[0].emit("publish", room, "text", 2);
    sockets[1].emit("publish", room, "bin2", [p2, p1]);
    await Promise.all(boxes.map((b, i) => b.waitCount(3, `3 deliveries at #${i}`)));
    await sleep(100);
    for (const [i, b] of boxes.entries()) {
      assert.equal(b.items.length, 3, `member #${i} count`);
      const bin = b.items.find((m) => m[0] === "bin");
      const text = b.items.find((m) => m[0] === "text");
      const bin2 = b.items.find((m) => m[0] === "bin2");
      assertBytes(bin[1], p1, `#${i} bin[1]`);
      assertBytes(bin[2].p2, p2, `#${i} bin[2].p2`);
      assert.deepEqual(text, ["text", 2]);
      assertBytes(bin2[1][0], p2, `#${i} bin2[1][0]`);
      assertBytes(bin2[1][1], p1, `#${i} bin2[1][1]`);
      // Per-publisher order holds for socket 0's two publishes.
      assert.ok(b.items.indexOf(bin) < b.items.indexOf(text), `#${i} order`);
    }
  } finally {
    closeAll(sockets);
  }
});

test("empty binary attachment round-trips", async () => {
  const [s] = await connectAll(1);
  try {
    const box = new Inbox(s, "echo");
    s.emit("echo", Buffer.alloc(0), "after-empty");
    await box.waitCount(1, "echo with empty buffer");
    const [[empty, tail]] = box.items;
    assertBytes(empty, Buffer.alloc(0), "empty");
    assert.equal(tail, "after-empty");
  } finally {
    closeAll(s);
  }
});

test("objects keep key order and values through publish (client library level)", async () => {
  const [a, b] = await connectAll(2);
  try {
    const room = uniqueRoom();
    await call(b, "join", room);
    const box = new Inbox(b);
    const obj = { zeta: 1, alpha: -0.5, mid: { y: [true, false, null], b: "é\"\\\n\u0001😀" }, big: 1e21, tiny: 1.5e-7 };
    a.emit("publish", room, obj, "second", [3, 2, 1]);
    await box.waitCount(1, "publish");
    assert.equal(JSON.stringify(box.items[0]), JSON.stringify([obj, "second", [3, 2, 1]]));
  } finally {
    closeAll(a, b);
  }
});

test("ack via emitWithAck and timeout() API of the client", async () => {
  const [s] = await connectAll(1);
  try {
    const v = await withTimeout(s.timeout(STEP_TIMEOUT_MS).emitWithAck("whoami"), STEP_TIMEOUT_MS + 500, "emitWithAck");
    assert.equal(v, s.id);
  } finally {
    closeAll(s);
  }
});
