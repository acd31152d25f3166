// Engine.IO long-polling on the wire: plain HTTP requests, no client library. Every check
// here also runs against the Node reference server, which is what "exactly" means.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { RawWs, SERVER_URL, STEP_TIMEOUT_MS, rawUrl, sleep, withTimeout } from "./helpers.mjs";

const BASE = "/socket.io/?EIO=4&transport=polling";

// One request on its own connection; resolves {status, headers, body}. `signal` aborts.
function request(method, path, body, { signal, headers = {} } = {}) {
  const u = new URL(SERVER_URL);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, method, path, agent: false, signal,
        // Content-Length as browsers and socket.io-client send it (roomcast refuses chunked bodies).
        headers: body === undefined ? headers
          : { "Content-Type": "text/plain;charset=UTF-8", "Content-Length": Buffer.byteLength(body), ...headers } },
      (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const timed = (p, what) => withTimeout(p, STEP_TIMEOUT_MS, what);
const get = (sid, opts) => timed(request("GET", `${BASE}&sid=${sid}`, undefined, opts), `GET ${sid}`);
const post = (sid, body) => timed(request("POST", `${BASE}&sid=${sid}`, body), `POST ${sid}`);

async function handshake() {
  const res = await timed(request("GET", BASE), "handshake");
  assert.equal(res.status, 200);
  assert.equal(res.body[0], "0");
  return { res, open: JSON.parse(res.body.slice(1)) };
}

// A session with namespace "/" connected; returns its sid.
async function session() {
  const { open } = await handshake();
  assert.equal((await post(open.sid, "40")).body, "ok");
  const reply = await get(open.sid);
  assert.match(reply.body, /^40\{"sid":"[^"]{20}"\}$/);
  return open.sid;
}

// GETs until `n` packets have arrived (the server may split them over responses).
async function packets(sid, n) {
  const out = [];
  while (out.length < n) {
    const res = await get(sid);
    assert.equal(res.status, 200);
    out.push(...res.body.split("\x1e"));
  }
  return out;
}

function assertEioError(res, code, message) {
  assert.equal(res.status, 400, `status for ${message}`);
  assert.deepEqual(JSON.parse(res.body), { code, message });
}

test("polling handshake: 200 text/plain, open packet with exactly the five keys", async () => {
  const { res, open } = await handshake();
  assert.match(res.headers["content-type"], /^text\/plain; charset=UTF-8$/);
  assert.deepEqual(Object.keys(open), ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"]);
  assert.deepEqual(open.upgrades, ["websocket"]);
  assert.equal(open.sid.length, 20);
});

test("POST answers ok; several packets in one POST; GET carries all queued packets joined by \\x1e", async () => {
  const sid = await session();
  const res = await post(sid, '42["echo","a"]\x1e42["echo","b"]\x1e42["echo","c"]');
  assert.equal(res.status, 200);
  assert.equal(res.body, "ok");
  assert.match(res.headers["content-type"], /^text\/html/);
  assert.deepEqual(await packets(sid, 3), ['42["echo","a"]', '42["echo","b"]', '42["echo","c"]']);
});

test("binary travels as b + base64 in both directions", async () => {
  const sid = await session();
  await post(sid, '451-["echo",{"_placeholder":true,"num":0}]\x1ebAAEC/w==');
  assert.deepEqual(await packets(sid, 2), ['451-["echo",{"_placeholder":true,"num":0}]', "bAAEC/w=="]);
});

test("a held GET is answered when data arrives", async () => {
  const sid = await session();
  const held = get(sid);
  await sleep(100);
  await post(sid, '42["echo","late"]');
  assert.equal((await held).body, '42["echo","late"]');
});

test("400 cases carry Engine.IO's JSON error body", async () => {
  assertEioError(await request("GET", "/socket.io/?EIO=4&transport=carrier-pigeon"), 0, "Transport unknown");
  assertEioError(await request("GET", "/socket.io/?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA"), 1, "Session ID unknown");
  assertEioError(await request("POST", "/socket.io/?EIO=4&transport=polling&sid=nope", "40"), 1, "Session ID unknown");
  assertEioError(await request("POST", BASE, "40"), 2, "Bad handshake method");
  assertEioError(await request("GET", "/socket.io/?EIO=5&transport=polling"), 5, "Unsupported protocol version");
});

test("a second concurrent GET: 400 for it, close packet for the first, session gone", async () => {
  const sid = await session();
  const first = get(sid);
  await sleep(100);
  const second = await get(sid);
  assert.equal(second.status, 400);
  assert.equal((await first).body, "1");
  assertEioError(await get(sid), 1, "Session ID unknown");
});

test("aborting the pending GET closes the session", async () => {
  const sid = await session();
  const ctl = new AbortController();
  const held = get(sid, { signal: ctl.signal }).catch(() => "aborted");
  await sleep(100);
  ctl.abort();
  assert.equal(await held, "aborted");
  await sleep(200);
  assertEioError(await get(sid), 1, "Session ID unknown");
});

test("a POSTed close packet answers the pending GET with noop and ends the session", async () => {
  const sid = await session();
  const held = get(sid);
  await sleep(100);
  assert.equal((await post(sid, "1")).body, "ok");
  assert.equal((await held).body, "6");
  assertEioError(await get(sid), 1, "Session ID unknown");
});

test("server-side namespace disconnect reaches a polling client; the session stays", async () => {
  const sid = await session();
  await post(sid, '42["disconnect_me"]');
  assert.deepEqual(await packets(sid, 1), ["41"]);
  await post(sid, "40");
  assert.match((await packets(sid, 1))[0], /^40\{"sid":"[^"]{20}"\}$/);
});

test("upgrade: probe, noop to the pending GET, 5; then polling is refused and a second WebSocket is closed", async () => {
  const sid = await session();
  const held = get(sid);
  await sleep(50);
  const ws = new RawWs(rawUrl(`&sid=${sid}`));
  await ws.open();
  ws.send("2probe");
  assert.equal(await ws.next((f) => f === "3probe", "3probe"), "3probe");
  assert.equal((await held).body, "6");
  ws.send("5");
  await sleep(100);
  // The session now lives on the WebSocket.
  ws.send('42["echo","over ws"]');
  assert.equal(await ws.next((f) => f === '42["echo","over ws"]', "echo over ws"), '42["echo","over ws"]');
  assertEioError(await get(sid), 3, "Bad request");
  const again = new RawWs(rawUrl(`&sid=${sid}`));
  await again.open();
  await timed(new Promise((resolve) => { const t = setInterval(() => { if (again.closed) { clearInterval(t); resolve(); } }, 20); }), "second websocket closed");
  ws.close();
});

test("2probe and 5 back to back; data queued during the probe comes over the WebSocket", async () => {
  const sid = await session();
  await post(sid, '42["echo","queued"]');
  const ws = new RawWs(rawUrl(`&sid=${sid}`));
  await ws.open();
  ws.send("2probe");
  ws.send("5");
  assert.equal(await ws.next((f) => f === "3probe", "3probe"), "3probe");
  // The echo was queued before the probe: polling may or may not have carried it, so
  // fetch it by GET if it did not come over the WebSocket.
  const viaWs = await ws.next((f) => f === '42["echo","queued"]', "queued echo", 0, 1000).catch(() => null);
  if (viaWs === null) assert.fail("queued echo not delivered over the WebSocket");
  ws.close();
});

test("WebSocket with an unknown sid: HTTP 400 Session ID unknown", async () => {
  const ws = new RawWs(rawUrl("&sid=AAAAAAAAAAAAAAAAAAAA"));
  const err = await ws.open().then(() => null, (e) => e);
  assert.ok(err, "the upgrade must fail");
  assert.match(String(err.message), /400/);
});
