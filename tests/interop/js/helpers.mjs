// Shared plumbing for the interop tests. Every wait here is bounded: a test
// that hangs tells nothing, a test that times out names what it waited for.
import { io } from "socket.io-client";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import WebSocket from "ws";

export const SERVER_URL = process.env.SERVER_URL ?? "http://127.0.0.1:3000";
export const SERVER_KIND = process.env.SERVER_KIND ?? "roomcast";
export const QUIET_MS = Number(process.env.QUIET_MS ?? 200);
export const STEP_TIMEOUT_MS = Number(process.env.STEP_TIMEOUT_MS ?? 5000);
// Which Engine.IO transports the clients use: "websocket" only, "polling" only, or
// "default" (the client's own choice: polling first, then the upgrade to WebSocket).
export const TRANSPORT_MODE = process.env.INTEROP_TRANSPORTS ?? "websocket";
export const TRANSPORT_OPTS =
  TRANSPORT_MODE === "default" ? {} : { transports: TRANSPORT_MODE.split(",") };
// The transport a connected client ends up on in this mode.
export const FINAL_TRANSPORT = TRANSPORT_MODE === "polling" ? "polling" : "websocket";

// Resolves once the client is on its final transport (after the upgrade in default mode).
export function upgraded(socket) {
  const engine = socket.io.engine;
  if (!engine || engine.transport.name === FINAL_TRANSPORT) return Promise.resolve(socket);
  return withTimeout(new Promise((resolve) => engine.once("upgrade", () => resolve(socket))),
    STEP_TIMEOUT_MS, "transport upgrade");
}

export { sleep };

export function uniqueRoom(tag = "room") {
  // Longer than 20 characters on purpose: cluster adapters treat 20-character
  // room names as socket ids.
  return `${tag}-${randomUUID()}`;
}

export function withTimeout(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// A fresh Engine.IO connection per call unless the caller passes options that
// say otherwise; tests must not share a Manager by accident.
export function client(nsp = "/", opts = {}) {
  return io(SERVER_URL + nsp, {
    ...TRANSPORT_OPTS,
    forceNew: true,
    reconnection: false,
    timeout: STEP_TIMEOUT_MS,
    ...opts,
  });
}

export function connected(socket, what = "connect") {
  if (socket.connected) return Promise.resolve(socket);
  return withTimeout(
    new Promise((resolve, reject) => {
      socket.once("connect", () => resolve(socket));
      socket.once("connect_error", (err) => reject(err));
    }),
    STEP_TIMEOUT_MS,
    what,
  );
}

export async function connectAll(n, nsp = "/", opts = {}) {
  const sockets = Array.from({ length: n }, () => client(nsp, opts));
  await Promise.all(sockets.map((s, i) => connected(s, `connect #${i} to ${nsp}`)));
  return sockets;
}

export function connectError(socket, what = "connect_error") {
  return withTimeout(
    new Promise((resolve, reject) => {
      socket.once("connect", () => reject(new Error("connected but expected connect_error")));
      socket.once("connect_error", (err) => resolve(err));
    }),
    STEP_TIMEOUT_MS,
    what,
  );
}

// Emits with an ack and resolves to the full list of ack arguments.
export function call(socket, event, ...args) {
  return withTimeout(
    new Promise((resolve) => socket.emit(event, ...args, (...vals) => resolve(vals))),
    STEP_TIMEOUT_MS,
    `ack of "${event}"`,
  );
}

export function closeAll(...sockets) {
  for (const s of sockets.flat()) {
    s.removeAllListeners();
    s.disconnect();
  }
}

// Records every delivery of an event; waitCount/waitFor bound the wait.
export class Inbox {
  constructor(socket, event = "message") {
    this.items = [];
    this.waiters = [];
    this.listener = (...args) => {
      this.items.push(args);
      this.waiters = this.waiters.filter((w) => !w());
    };
    socket.on(event, this.listener);
    this.socket = socket;
    this.event = event;
  }

  waitFor(pred, what, ms = STEP_TIMEOUT_MS) {
    if (pred(this.items)) return Promise.resolve(this.items);
    return withTimeout(
      new Promise((resolve) => {
        this.waiters.push(() => {
          if (!pred(this.items)) return false;
          resolve(this.items);
          return true;
        });
      }),
      ms,
      what,
    );
  }

  waitCount(n, what, ms) {
    return this.waitFor((items) => items.length >= n, what ?? `${n} "${this.event}" events`, ms);
  }

  // Waits until an item satisfying pred arrives.
  waitItem(pred, what, ms) {
    return this.waitFor((items) => items.some(pred), what, ms).then((items) => items.find(pred));
  }
}

export function inboxes(sockets, event = "message") {
  return sockets.map((s) => new Inbox(s, event));
}

// Marker that proves delivery has caught up for `socket`: sent via to_id by
// `sender`, so it travels the same fan-out machinery as the message under
// test. After it arrives the test still waits QUIET_MS, because delivery order
// between different target sets is not promised across shards.
export async function settle(sender, targets, targetInboxes) {
  const marker = `marker-${randomUUID()}`;
  for (const t of targets) sender.emit("to_id", t.id, marker);
  await Promise.all(
    targetInboxes.map((box, i) => box.waitItem((a) => a[0] === marker, `marker at target #${i}`)),
  );
  await sleep(QUIET_MS);
  return marker;
}

export function withoutMarkers(items, marker) {
  return items.filter((a) => a[0] !== marker);
}

// Raw Engine.IO over WebSocket, for checks below the client library.
export function rawUrl(extra = "") {
  const u = new URL(SERVER_URL);
  return `ws://${u.host}/socket.io/?EIO=4&transport=websocket${extra}`;
}

export class RawWs {
  constructor(url = rawUrl()) {
    this.ws = new WebSocket(url);
    this.frames = [];
    this.waiters = [];
    this.closed = false;
    this.closeInfo = null;
    this.ws.on("message", (data, isBinary) => {
      this.frames.push(isBinary ? Buffer.from(data) : data.toString("utf8"));
      this.poke();
    });
    this.ws.on("close", (code, reason) => {
      this.closed = true;
      this.closeInfo = { code, reason: reason.toString() };
      this.poke();
    });
    this.ws.on("error", () => {});
  }

  poke() {
    this.waiters = this.waiters.filter((w) => !w());
  }

  open() {
    return withTimeout(
      new Promise((resolve, reject) => {
        this.ws.once("open", resolve);
        this.ws.once("error", reject);
      }),
      STEP_TIMEOUT_MS,
      "raw websocket open",
    );
  }

  // Resolves with the first frame (at index >= from) matching pred.
  next(pred, what, from = 0, ms = STEP_TIMEOUT_MS) {
    const find = () => this.frames.slice(from).find(pred);
    const hit = find();
    if (hit !== undefined) return Promise.resolve(hit);
    return withTimeout(
      new Promise((resolve, reject) => {
        this.waiters.push(() => {
          const f = find();
          if (f !== undefined) {
            resolve(f);
            return true;
          }
          if (this.closed) {
            reject(new Error(`connection closed while waiting for ${what}`));
            return true;
          }
          return false;
        });
      }),
      ms,
      what,
    );
  }

  waitClosed(what, ms = STEP_TIMEOUT_MS) {
    if (this.closed) return Promise.resolve(this.closeInfo);
    return withTimeout(
      new Promise((resolve) => {
        this.waiters.push(() => {
          if (!this.closed) return false;
          resolve(this.closeInfo);
          return true;
        });
      }),
      ms,
      what,
    );
  }

  send(text) {
    this.ws.send(text);
  }

  close() {
    this.ws.terminate();
  }
}

// Records which server-specific checks ran, so nothing is skipped silently.
export function serverSpecific(t, onlyFor, description) {
  if (SERVER_KIND === onlyFor) {
    t.diagnostic(`server-specific check RAN (${onlyFor}): ${description}`);
    console.log(`# server-specific check RAN (${onlyFor}): ${description}`);
    return true;
  }
  const why = `not applicable to SERVER_KIND=${SERVER_KIND} (${onlyFor}-only): ${description}`;
  console.log(`# server-specific check NOT APPLICABLE: ${why}`);
  t.skip(why);
  return false;
}
