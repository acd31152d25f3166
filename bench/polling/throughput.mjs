// Long-polling throughput, roomcastd vs Node socket.io in the same run: R receivers on
// transports ["polling"] in one room, one publisher (also polling) emits M messages in
// bursts of B; reports delivered messages/s until every receiver has all M. Bounded: gives
// up after TIMEOUT_S. Usage: node throughput.mjs <url> [R=20] [M=2000] [B=50]
import { createRequire } from "node:module";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), "../../tests/interop/package.json"));
const { io } = require("socket.io-client");

const [url, R = "20", M = "2000", B = "50"] = process.argv.slice(2);
const receivers = Number(R), total = Number(M), burst = Number(B);
const TIMEOUT_S = 60;
const opts = { transports: ["polling"], forceNew: true, reconnection: false };
const room = `bench-${Date.now()}`;

const connect = (s) => new Promise((res, rej) => { s.once("connect", res); s.once("connect_error", rej); });
const join_ = (s) => new Promise((res) => s.emit("join", room, res));

const subs = Array.from({ length: receivers }, () => io(url + "/", opts));
const pub = io(url + "/", opts);
await Promise.all([...subs, pub].map(connect));
await Promise.all(subs.map(join_));
let got = 0;
const need = receivers * total;
const done = new Promise((resolve) => subs.forEach((s) => s.on("message", () => { if (++got === need) resolve(); })));
const t0 = performance.now();
for (let sent = 0; sent < total; sent += burst) {
  for (let i = 0; i < burst && sent + i < total; i++) pub.emit("publish", room, "payload-0123456789");
  await new Promise((r) => setImmediate(r));
}
const timer = setTimeout(() => { console.log(`TIMEOUT: ${got}/${need} delivered`); process.exit(1); }, TIMEOUT_S * 1000);
await done;
clearTimeout(timer);
const s = (performance.now() - t0) / 1000;
console.log(`${url}: ${receivers} polling receivers, ${total} msgs: ${need} deliveries in ${s.toFixed(2)} s = ${Math.round(need / s)} deliveries/s`);
[...subs, pub].forEach((x) => x.close());
process.exit(0);
