// Wire-level checks with a bare WebSocket, below what the client library hides.
import { test } from "node:test";
import assert from "node:assert/strict";
import { RawWs, SERVER_URL, serverSpecific, uniqueRoom, sleep, QUIET_MS, withTimeout, STEP_TIMEOUT_MS } from "./helpers.mjs";

async function openEngine() {
  const ws = new RawWs();
  await ws.open();
  const open = await ws.next((f) => typeof f === "string" && f.startsWith("0"), "open packet");
  return { ws, open: JSON.parse(open.slice(1)) };
}

// Opens Engine.IO and connects namespace `nsp` ("" for "/"); returns the socket id.
async function openSocket(nsp = "") {
  const { ws } = await openEngine();
  ws.send(nsp ? `40${nsp},` : "40");
  const prefix = nsp ? `40${nsp},` : "40";
  const reply = await ws.next((f) => typeof f === "string" && f.startsWith(prefix + "{"), `CONNECT reply ${nsp || "/"}`);
  return { ws, sid: JSON.parse(reply.slice(prefix.length)).sid };
}

async function rawJoin(ws, room, ackId) {
  const from = ws.frames.length;
  ws.send(`42${ackId}${JSON.stringify(["join", room])}`);
  const ack = await ws.next((f) => f === `43${ackId}["ok"]`, `join ack ${ackId}`, from);
  assert.equal(ack, `43${ackId}["ok"]`);
}

test("open packet has exactly sid, upgrades [], pingInterval, pingTimeout, maxPayload", async () => {
  const { ws, open } = await openEngine();
  try {
    assert.deepEqual(Object.keys(open).sort(), ["maxPayload", "pingInterval", "pingTimeout", "sid", "upgrades"]);
    assert.equal(typeof open.sid, "string");
    assert.ok(open.sid.length > 0);
    assert.deepEqual(open.upgrades, [], "no upgrades from a websocket session");
    for (const k of ["pingInterval", "pingTimeout", "maxPayload"]) {
      assert.ok(Number.isInteger(open[k]) && open[k] > 0, `${k} positive integer`);
    }
    assert.equal(ws.frames[0][0], "0", "open is the first frame");
  } finally {
    ws.close();
  }
});

test("CONNECT to '/' and to '/chat' with namespace ending at end of packet", async () => {
  const a = await openSocket("");
  const { ws } = await openEngine();
  try {
    assert.equal(typeof a.sid, "string");
    assert.equal(a.sid.length, 20, "20-character socket ids");
    ws.send("40/chat");
    const reply = await ws.next((f) => typeof f === "string" && f.startsWith("40/chat"), "40/chat reply");
    assert.match(reply, /^40\/chat,\{"sid":"[^"]{20}"\}$/);
    const sid = JSON.parse(reply.slice("40/chat,".length)).sid;
    // The namespace is usable: ack over the raw socket.
    const from = ws.frames.length;
    ws.send('42/chat,7["whoami"]');
    assert.equal(await ws.next((f) => typeof f === "string" && f.startsWith("43/chat,7"), "whoami ack", from), `43/chat,7${JSON.stringify([sid])}`);
    // DISCONNECT then reconnect the namespace: no reply to 41, a fresh id after.
    // DISCONNECT has no reply, so an ack on "/" stands in for "server has
    // processed it" (the reference handles a same-tick re-CONNECT as invalid).
    ws.send("40");
    await ws.next((f) => typeof f === "string" && f.startsWith("40{"), "CONNECT / reply");
    ws.send("41/chat,");
    const from1 = ws.frames.length;
    ws.send('429["ack_echo","after-41"]');
    assert.equal(await ws.next((f) => typeof f === "string" && f.startsWith("439"), "ack after 41", from1), '439["after-41"]');
    assert.equal(ws.frames.slice(from - 1).some((f) => typeof f === "string" && f.startsWith("41")), false, "no reply to DISCONNECT");
    const from2 = ws.frames.length;
    ws.send("40/chat,");
    const again = await ws.next((f) => typeof f === "string" && f.startsWith("40/chat,"), "second CONNECT reply", from2);
    assert.notEqual(JSON.parse(again.slice(8)).sid, sid, "fresh id after reconnect");
    assert.equal(ws.closed, false);
  } finally {
    a.ws.close();
    ws.close();
  }
});

test("unknown namespace and middleware refusal on the wire", async () => {
  const { ws } = await openEngine();
  try {
    ws.send("40/nope,");
    assert.equal(await ws.next((f) => typeof f === "string" && f.startsWith("44/nope"), "invalid namespace"),
      '44/nope,{"message":"Invalid namespace"}');
    ws.send('40/private,{"token":"bad"}');
    assert.equal(await ws.next((f) => typeof f === "string" && f.startsWith("44/private"), "refusal"),
      '44/private,{"message":"unauthorized","data":{"reason":"bad token"}}');
    ws.send('40/private,{"token":"secret"}');
    assert.match(await ws.next((f) => typeof f === "string" && f.startsWith("40/private"), "accepted"),
      /^40\/private,\{"sid":"[^"]+"\}$/);
    assert.equal(ws.closed, false, "refusals keep the connection open");
  } finally {
    ws.close();
  }
});

test("a first packet that is not CONNECT closes the connection", async () => {
  const { ws } = await openEngine();
  try {
    ws.send('42["echo","too early"]');
    await ws.waitClosed("close after non-CONNECT first packet");
    assert.equal(ws.frames.some((f) => typeof f === "string" && f.startsWith("42")), false, "no echo");
  } finally {
    ws.close();
  }
});

test("an undecodable Socket.IO packet closes the connection", async () => {
  const { ws } = await openSocket("");
  try {
    ws.send("42[not json");
    await ws.waitClosed("close after decode failure");
  } finally {
    ws.close();
  }
});

test("binary event framing: placeholder text frame then raw binary frame", async () => {
  const { ws } = await openSocket("");
  try {
    const bytes = Buffer.from([0, 255, 1, 254, 0x1e]);
    ws.send('451-["echo",{"_placeholder":true,"num":0},"t"]');
    ws.ws.send(bytes, { binary: true });
    const header = await ws.next((f) => typeof f === "string" && f.startsWith("45"), "binary echo header");
    assert.equal(header, '451-["echo",{"_placeholder":true,"num":0},"t"]');
    const idx = ws.frames.indexOf(header);
    const bin = await ws.next((f) => Buffer.isBuffer(f), "attachment frame", idx + 1);
    assert.ok(bin.equals(bytes), "attachment bytes (no type byte)");
  } finally {
    ws.close();
  }
});

// Canonical JSON spelling survives both raw splicing and parse/re-serialise.
const CANONICAL = '{"zeta":1,"alpha":-0.5,"mid":{"y":[true,false,null],"b":"é\\"\\\\\\n\\u0001"},"big":1e+21,"tiny":1.5e-7,"neg":-123456789.125}';

async function publishRawBetween(payloadArgs) {
  const room = uniqueRoom();
  const sub = await openSocket("");
  const pub = await openSocket("");
  await rawJoin(sub.ws, room, 1);
  const from = sub.ws.frames.length;
  pub.ws.send(`42["publish",${JSON.stringify(room)},${payloadArgs}]`);
  const got = await sub.ws.next((f) => typeof f === "string" && f.startsWith('42["message"'), "raw message", from);
  await sleep(QUIET_MS);
  const all = sub.ws.frames.slice(from).filter((f) => typeof f === "string" && f.startsWith("42"));
  sub.ws.close();
  pub.ws.close();
  return { got, count: all.length };
}

test("arguments pass byte for byte (canonical spelling, key order, escapes)", async () => {
  assert.equal(JSON.stringify(JSON.parse(CANONICAL)), CANONICAL, "fixture is canonical JSON");
  const args = `${CANONICAL},"two",[3,2,1],-7`;
  const { got, count } = await publishRawBetween(args);
  assert.equal(got, `42["message",${args}]`);
  assert.equal(count, 1);
});

test("arguments pass byte for byte with non-canonical spelling (roomcastd splices raw JSON)", async (t) => {
  if (!serverSpecific(t, "roomcast", "non-canonical JSON (1.50, 1E3, -0.0, \\u00e9, \\/, integer-like key order) preserved")) return;
  const args = '{"b":1.50,"2":"\\u00e9\\/","a":1E3,"c":-0.0,"d":[1.0e-2,0]},"x"';
  const { got, count } = await publishRawBetween(args);
  assert.equal(got, `42["message",${args}]`);
  assert.equal(count, 1);
});
