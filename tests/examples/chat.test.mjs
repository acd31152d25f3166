// The seed example (examples/chat.cpp) against the real JS client: every socket of /chat is
// in room1, so a message from one reaches all of them, the sender included.
//   CHAT_EXAMPLE=build/examples/chat_example node --test tests/examples/chat.test.mjs
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../interop/package.json', import.meta.url));
const { io } = require('socket.io-client');

function startExample() {
  const bin = process.env.CHAT_EXAMPLE;
  assert.ok(bin, 'CHAT_EXAMPLE must name the chat_example binary');
  const child = spawn(bin, ['0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('example did not start in 10 s')), 10000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:(\d+)\/chat/);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.on('exit', (code) => reject(new Error(`example exited early with ${code}`)));
  });
}

function connect(port) {
  const s = io(`http://127.0.0.1:${port}/chat`, { transports: ['websocket'], forceNew: true, reconnection: false });
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

test('chat example: a message reaches every socket of room1, in order', async () => {
  const { child, port } = await startExample();
  const clients = [];
  try {
    for (let i = 0; i < 3; i++) clients.push(await connect(port));
    const received = clients.map(() => []);
    clients.forEach((c, i) => c.on('message', (...args) => received[i].push(args)));
    clients[0].emit('message', 'hello', { n: 1.5 });
    clients[1].emit('message', 'second');
    const deadline = Date.now() + 5000;
    while (received.some((r) => r.length < 2) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    for (const r of received) {
      assert.equal(r.length, 2);
      assert.deepEqual(r.find((a) => a[0] === 'hello'), ['hello', { n: 1.5 }]);
      assert.deepEqual(r.find((a) => a[0] === 'second'), ['second']);
    }
  } finally {
    clients.forEach((c) => c.close());
    child.kill('SIGTERM');
  }
});
