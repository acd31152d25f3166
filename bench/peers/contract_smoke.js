#!/usr/bin/env node
// Checks that a server under test speaks the part of the demo contract the
// load generator relies on, with the stock socket.io-client: join + ack,
// publish to a room (members only, sender included, arguments byte-exact),
// broadcast, on "/" and "/chat". Used on every peer before it is benchmarked.
//
// Usage: node contract_smoke.js --url http://127.0.0.1:PORT [--clients 20] [--timeout-ms 10000]
// Exit 0 and "contract ok" on success; exit 1 with the first mismatch otherwise.
"use strict";

const { io } = require("socket.io-client");

function parseArgs(argv) {
  const o = { url: "http://127.0.0.1:3000", clients: 20, timeoutMs: 10000 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === "--url") o.url = argv[++i];
    else if (k === "--clients") o.clients = Number(argv[++i]);
    else if (k === "--timeout-ms") o.timeoutMs = Number(argv[++i]);
    else {
      console.error(`unknown argument: ${k}`);
      process.exit(2);
    }
  }
  if (!(o.clients >= 4)) {
    console.error("--clients must be >= 4");
    process.exit(2);
  }
  return o;
}

function fail(msg) {
  console.error(`contract FAILED: ${msg}`);
  process.exit(1);
}

const once = (sock, ev) => new Promise((res) => sock.once(ev, res));
const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

async function runNamespace(url, nsp, n) {
  const socks = [];
  for (let i = 0; i < n; i++) {
    socks.push(io(url + nsp, { transports: ["websocket"], reconnection: false, forceNew: true }));
  }
  await Promise.all(
    socks.map((s) => new Promise((res, rej) => {
      s.once("connect", res);
      s.once("connect_error", (e) => rej(new Error(`connect_error on ${nsp}: ${e.message}`)));
    })),
  );
  // Two rooms, every other socket; the last socket joins nothing.
  const rooms = ["a", "b"];
  const memberOf = (i) => (i === n - 1 ? null : rooms[i % 2]);
  const acks = await Promise.all(
    socks.map((s, i) => (memberOf(i) ? s.timeout(5000).emitWithAck("join", memberOf(i)) : "ok")),
  );
  acks.forEach((a, i) => a === "ok" || fail(`join ack of socket ${i} on ${nsp} was ${JSON.stringify(a)}`));

  const got = socks.map(() => []);
  socks.forEach((s, i) => s.on("message", (...args) => got[i].push(args)));

  // Arguments the server must pass on unchanged, including odd spellings.
  const payload = { k: "v\"\\\u00e9", n: [1, 2.5, -3e2], t: true, z: null };
  socks[0].emit("publish", "a", payload, "x", 7);    // socket 0 is a member of "a"
  socks[n - 1].emit("publish", "b", "from-outsider"); // sender not a member
  socks[1].emit("broadcast", "all");
  const deadline = Date.now() + 5000;
  const want = (i) => (memberOf(i) === "a" ? 2 : memberOf(i) === "b" ? 2 : 1);
  while (Date.now() < deadline && !got.every((g, i) => g.length >= want(i))) await sleep(20);
  await sleep(100); // anything extra would arrive now
  got.forEach((g, i) => {
    if (g.length !== want(i)) fail(`socket ${i} (${memberOf(i)}) on ${nsp} got ${g.length} messages, want ${want(i)}: ${JSON.stringify(g)}`);
    const bcast = g.filter((m) => m.length === 1 && m[0] === "all");
    if (bcast.length !== 1) fail(`socket ${i} on ${nsp} broadcast count ${bcast.length}`);
    if (memberOf(i) === "a") {
      const m = g.find((x) => x.length === 3);
      if (!m || JSON.stringify(m) !== JSON.stringify([payload, "x", 7])) fail(`socket ${i} on ${nsp} publish args ${JSON.stringify(m)}`);
    }
    if (memberOf(i) === "b" && !g.some((x) => x.length === 1 && x[0] === "from-outsider")) fail(`socket ${i} on ${nsp} missed outsider publish`);
  });
  socks.forEach((s) => s.close());
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const timer = setTimeout(() => fail(`timed out after ${o.timeoutMs} ms`), o.timeoutMs);
  try {
    await runNamespace(o.url, "/", o.clients);
    await runNamespace(o.url, "/chat", o.clients);
  } catch (e) {
    fail(e.message);
  }
  clearTimeout(timer);
  console.log("contract ok");
  process.exit(0);
}

main();
