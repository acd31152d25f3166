// Redis goes away mid-run and comes back: roomcastd keeps delivering locally, logs the loss,
// reconnects with backoff and resubscribes, and cross-node delivery resumes.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  QUIET_MS, startRedis, startRoomcastd, redisClient, patternsAtLeast, client, connected, inbox, call, closeAll, until,
} from "./cluster.mjs";

let redis, rcA, rcB;

before(async () => {
  redis = await startRedis();
  [rcA, rcB] = await Promise.all([startRoomcastd(redis.url), startRoomcastd(redis.url)]);
  const admin = await redisClient(redis.url);
  await patternsAtLeast(admin, 6);
  await admin.quit();
});

after(async () => {
  const problems = [];
  for (const p of [rcA, rcB, redis].filter(Boolean)) {
    const r = await p.stop();
    if (p.name !== "roomcastd") continue;
    if (r.code !== 0 && r.sig !== "SIGTERM") problems.push(`roomcastd exit ${JSON.stringify(r)}`);
    if (/WARNING: ThreadSanitizer|ERROR: (Address|Leak)Sanitizer|runtime error:/.test(p.log)) problems.push("sanitizer report");
    if (problems.length) console.log(`# roomcastd log:\n${p.log}`);
  }
  assert.deepEqual(problems, []);
});

test("redis killed and restarted: local delivery continues, then the cluster heals", async () => {
  const r = `outage-${randomUUID()}`;
  const [a1, a2, b1] = [client(rcA.url), client(rcA.url), client(rcB.url)];
  const [boxA2, boxB1] = [inbox(a2), inbox(b1)];
  await connected(a1, a2, b1);
  try {
    await Promise.all([a1, a2, b1].map((s) => call(s, "join", r)));
    a1.emit("publish", r, "before");
    await until("cross-node delivery before the outage", () => boxB1.length === 1 && boxA2.length === 1);

    const port = redis.port;
    await redis.stop("SIGKILL");
    for (const n of [rcA, rcB]) await until("the loss to be noticed", () => /redis: connection lost/.test(n.log));

    // Local delivery does not wait for Redis.
    const t0 = Date.now();
    a1.emit("publish", r, "during");
    await until("local delivery during the outage", () => boxA2.length === 2);
    assert.ok(Date.now() - t0 < 1000, "local delivery stalled while Redis was down");
    assert.deepEqual(await call(a2, "rooms").then((v) => v[0].includes(r)), true, "shard still answers");

    redis = await startRedis(port);
    const admin = await redisClient(redis.url);
    try {
      await patternsAtLeast(admin, 6);  // both nodes reconnected and resubscribed
    } finally {
      await admin.quit();
    }
    for (const n of [rcA, rcB]) assert.match(n.log, /redis: reconnected/);

    a1.emit("publish", r, "after");
    await until("cross-node delivery after the outage", () => boxB1.some((m) => m[0] === "after"));
    await sleep(QUIET_MS);
    assert.deepEqual(boxA2, [["before"], ["during"], ["after"]]);
    // "during" waited in A's bounded queue and went out as soon as A reconnected, which may be
    // before B had resubscribed: B sees it at most once, and in order.
    const seen = boxB1.map((m) => m[0]);
    assert.ok(
      JSON.stringify(seen) === JSON.stringify(["before", "during", "after"]) ||
        JSON.stringify(seen) === JSON.stringify(["before", "after"]),
      `B got ${JSON.stringify(seen)}`,
    );
  } finally {
    closeAll(a1, a2, b1);
  }
});
