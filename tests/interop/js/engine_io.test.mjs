// The bare Engine.IO endpoint (roomcastd --engine-io-path /engine.io/, an echo) with the
// npm engine.io-client, over each transport mode.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Socket } from "engine.io-client";
import { SERVER_URL, STEP_TIMEOUT_MS, serverSpecific, withTimeout } from "./helpers.mjs";

const MODES = { websocket: ["websocket"], polling: ["polling"], default: undefined };

function open(transports) {
  const s = new Socket(SERVER_URL, { path: "/engine.io/", ...(transports ? { transports } : {}) });
  const inbox = [];
  const waiters = [];
  s.on("message", (m) => {
    inbox.push(m);
    waiters.splice(0).forEach((w) => w());
  });
  const next = (what) => withTimeout(new Promise((resolve) => {
    const take = () => (inbox.length ? resolve(inbox.shift()) : waiters.push(take));
    take();
  }), STEP_TIMEOUT_MS, what);
  const opened = withTimeout(new Promise((resolve, reject) => {
    s.once("open", resolve);
    s.once("error", reject);
  }), STEP_TIMEOUT_MS, "engine.io open");
  return { s, next, opened };
}

for (const [mode, transports] of Object.entries(MODES)) {
  test(`engine.io echo of text and binary (${mode})`, async (t) => {
    if (!serverSpecific(t, "roomcast", `bare Engine.IO endpoint, ${mode}`)) return;
    const { s, next, opened } = open(transports);
    try {
      await opened;
      s.send("hello \u00e9\u{1F600}");
      assert.equal(await next("text echo"), "hello \u00e9\u{1F600}");
      s.send(Buffer.from([0, 1, 2, 255]));
      const bin = await next("binary echo");
      assert.ok(typeof bin !== "string", "binary comes back as binary");
      assert.deepEqual([...Buffer.from(bin)], [0, 1, 2, 255]);
      for (let i = 0; i < 20; i++) s.send(`m${i}`);
      for (let i = 0; i < 20; i++) assert.equal(await next(`echo m${i}`), `m${i}`);
      if (mode === "default") {
        if (s.transport.name !== "websocket") {
          await withTimeout(new Promise((r) => s.once("upgrade", r)), STEP_TIMEOUT_MS, "upgrade");
        }
        s.send("after upgrade");
        assert.equal(await next("echo after upgrade"), "after upgrade");
      }
    } finally {
      s.close();
    }
  });
}

test("Socket.IO packets on the engine.io path are just messages", async (t) => {
  if (!serverSpecific(t, "roomcast", "no Socket.IO layer on the bare endpoint")) return;
  const { s, next, opened } = open(["websocket"]);
  try {
    await opened;
    s.send("0");  // a Socket.IO CONNECT would be answered by 0{"sid":..}; here it echoes
    assert.equal(await next("echo of 0"), "0");
  } finally {
    s.close();
  }
});
