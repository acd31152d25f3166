// A real browser with default client options: headless Debian chromium driven by
// playwright-core opens roomcastd's demo chat page (--demo-page) twice; both join a room,
// one sends, the other shows the message. Env: ROOMCASTD (the binary), SCREENSHOT (where
// to save the picture; default chat.png in the system temp dir), CHROMIUM (/usr/bin/chromium).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, "..", "node_modules", "socket.io-client", "dist", "socket.io.min.js");
const STEP_MS = 15000;

function startServer() {
  const bin = process.env.ROOMCASTD;
  assert.ok(bin && existsSync(bin), "ROOMCASTD must name the roomcastd binary");
  const proc = spawn(bin, ["--port", "0", "--shards", "2", "--demo-page", bundle], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const url = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`roomcastd did not start: ${out}`)), STEP_MS);
    proc.stdout.on("data", (d) => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^/]+)\//);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    proc.on("exit", (code) => reject(new Error(`roomcastd exited (${code}): ${out}`)));
  });
  proc.stderr.on("data", (d) => { out += d; });
  return { proc, url, log: () => out };
}

test("two browser pages chat through a room with the default client options", { timeout: 90000 }, async () => {
  const server = startServer();
  const profile = mkdtempSync(join(tmpdir(), "roomcast-chromium-"));
  let browser;
  try {
    const base = await server.url;
    // A fresh profile directory (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      headless: true,
      // Loopback only: nothing the browser does may leave the machine.
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"],
      timeout: STEP_MS,
    });
    const room = `room-${Date.now()}`;
    const alice = await browser.newPage();
    const bob = await browser.newPage();
    for (const [page, name] of [[alice, "alice"], [bob, "bob"]]) {
      await page.goto(`${base}/demo/?room=${room}&name=${name}`, { timeout: STEP_MS });
      await page.waitForSelector("body[data-joined='1']", { timeout: STEP_MS });
    }
    // Default options: the client starts on polling and upgrades to WebSocket.
    await bob.waitForFunction(() => window.chat.socket.io.engine.transport.name === "websocket", null, { timeout: STEP_MS });
    await alice.fill("#msg", "hello from alice");
    await alice.click("#send");
    await bob.waitForSelector("#log li", { timeout: STEP_MS });
    assert.equal(await bob.textContent("#log li"), "alice: hello from alice");
    await alice.waitForSelector("#log li", { timeout: STEP_MS });  // the sender is in the room too
    const shot = process.env.SCREENSHOT ?? join(tmpdir(), "roomcast-chat.png");
    await bob.screenshot({ path: shot });
    assert.ok(existsSync(shot), "screenshot saved");
    console.log(`# screenshot: ${shot}`);
  } catch (e) {
    console.log(server.log());
    throw e;
  } finally {
    if (browser) await browser.close();
    server.proc.kill("SIGTERM");
    rmSync(profile, { recursive: true, force: true });
  }
});
