// A mixed Socket.IO cluster on one loopback Redis, for the Redis adapter tests: a
// redis-server, roomcastd nodes and Node socket.io 4.8 nodes (@socket.io/redis-adapter),
// each started on a free port and stopped at the end. Every wait is bounded.
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { io } from "socket.io-client";
import { createClient } from "redis";

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, "../../..");
export const STEP_MS = Number(process.env.STEP_TIMEOUT_MS ?? 5000);
export const QUIET_MS = Number(process.env.QUIET_MS ?? 300);

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function until(what, pred, ms = STEP_MS) {
  const end = Date.now() + ms;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

function accepting(port) {
  return new Promise((resolve) => {
    const c = net.connect(port, "127.0.0.1");
    c.once("connect", () => { c.destroy(); resolve(true); });
    c.once("error", () => resolve(false));
  });
}

// A child process whose output is kept (and shown when a test fails).
class Proc {
  constructor(name, cmd, args) {
    this.name = name;
    this.log = "";
    this.child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    this.exited = new Promise((resolve) => this.child.once("exit", (code, sig) => resolve({ code, sig })));
    for (const s of [this.child.stdout, this.child.stderr]) s.on("data", (d) => { this.log += d; });
  }
  async stop(signal = "SIGTERM") {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    this.child.kill(signal);
    const t = setTimeout(() => this.child.kill("SIGKILL"), 5000);
    const r = await this.exited;
    clearTimeout(t);
    return r;
  }
}

export async function startRedis(port) {
  port ??= await freePort();
  const bin = process.env.REDIS_SERVER ?? "redis-server";
  const p = new Proc("redis", bin, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
  await until(`redis-server on ${port}`, () => accepting(port), 10000);
  p.port = port;
  p.url = `redis://127.0.0.1:${port}`;
  return p;
}

async function startHttpNode(name, cmd, args, portRe) {
  const p = new Proc(name, cmd, args);
  await until(`${name} to listen`, () => portRe.test(p.log) || p.child.exitCode !== null, 15000);
  if (!portRe.test(p.log)) throw new Error(`${name} did not start:\n${p.log}`);
  p.port = Number(p.log.match(portRe)[1]);
  p.url = `http://127.0.0.1:${p.port}`;
  return p;
}

export function startRoomcastd(redisUrl, extra = []) {
  const bin = process.env.ROOMCASTD;
  if (!bin) throw new Error("ROOMCASTD (path to the roomcastd binary) is not set");
  return startHttpNode("roomcastd", bin, ["--port", "0", "--shards", "2", "--redis", redisUrl, ...extra],
                       /listening on http:\/\/127\.0\.0\.1:(\d+)/);
}

export function startNode(redisUrl) {
  return startHttpNode("node", process.execPath,
                       [path.join(repo, "bench/peers/socketio-node/server.js"), "--port", "0", "--redis", redisUrl],
                       /listening on [^ ]*:(\d+)/);
}

export async function redisClient(url) {
  const c = createClient({ url, socket: { reconnectStrategy: (n) => Math.min(50 * n, 500) } });
  c.on("error", () => {});
  await c.connect();
  return c;
}

// Pattern subscriptions summed over connections (PUBSUB NUMPAT counts unique patterns only).
export async function patternSubscriptions(redis) {
  const list = await redis.sendCommand(["CLIENT", "LIST"]);
  return [...list.matchAll(/ psub=(\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
}

// Waits until `n` pattern subscriptions exist: every node has joined the cluster.
export async function patternsAtLeast(redis, n) {
  await until(`${n} pattern subscriptions on redis`, async () => (await patternSubscriptions(redis)) >= n, 10000);
}

export function client(baseUrl, nsp = "/chat") {
  return io(baseUrl + nsp, { transports: ["websocket"], forceNew: true, reconnection: false, timeout: STEP_MS });
}

export async function connected(...sockets) {
  await Promise.all(sockets.map((s) => s.connected ? s : new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("connect timed out")), STEP_MS);
    s.once("connect", () => { clearTimeout(t); resolve(s); });
    s.once("connect_error", (e) => { clearTimeout(t); reject(e); });
  })));
  return sockets;
}

// Records every "message" a socket receives.
export function inbox(socket) {
  const box = [];
  socket.on("message", (...args) => box.push(args));
  return box;
}

export function call(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ack for ${event}`)), STEP_MS);
    socket.emit(event, ...args, (...vals) => { clearTimeout(t); resolve(vals); });
  });
}

export function closeAll(...sockets) {
  for (const s of sockets.flat()) s.close();
}
