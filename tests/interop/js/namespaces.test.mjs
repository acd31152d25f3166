// Namespaces: multiplexing on one Engine.IO connection, isolation between
// namespaces, middleware refusal, unknown namespaces, server-side disconnect.
import { test } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import {
  SERVER_URL, STEP_TIMEOUT_MS, Inbox, call, client, closeAll, connectAll, connectError,
  connected, settle, sleep, TRANSPORT_OPTS, FINAL_TRANSPORT, upgraded, QUIET_MS, withTimeout, withoutMarkers, uniqueRoom,
} from "./helpers.mjs";

test("'/' and '/chat' multiplex over one engine connection", async () => {
  // Default io() options: the Manager cache must hand both namespaces the same engine.
  const main = io(SERVER_URL + "/", { ...TRANSPORT_OPTS, reconnection: false });
  const chat = io(SERVER_URL + "/chat", { ...TRANSPORT_OPTS, reconnection: false });
  try {
    await Promise.all([connected(main, "connect /"), connected(chat, "connect /chat")]);
    await upgraded(main);
    assert.equal(main.io, chat.io, "both sockets should share one Manager");
    assert.ok(main.io.engine, "engine exists");
    assert.equal(main.io.engine, chat.io.engine, "both sockets should share one engine");
    assert.equal(main.io.engine.transport.name, FINAL_TRANSPORT);
    assert.notEqual(main.id, chat.id, "each namespace gets its own socket id");
    assert.notEqual(main.id, main.io.engine.id, "socket id is not the engine sid");

    // whoami proves each namespace is served separately on the shared connection.
    const [idMain] = await call(main, "whoami");
    const [idChat] = await call(chat, "whoami");
    assert.equal(idMain, main.id);
    assert.equal(idChat, chat.id);

    const room = uniqueRoom();
    assert.deepEqual(await call(main, "join", room), ["ok"]);
    assert.deepEqual(await call(chat, "join", room), ["ok"]);
    const boxMain = new Inbox(main);
    const boxChat = new Inbox(chat);
    // Same room name in another namespace is another room.
    chat.emit("publish", room, "only-chat");
    await boxChat.waitItem((a) => a[0] === "only-chat", "publish on /chat");
    main.emit("publish", room, "only-main");
    await boxMain.waitItem((a) => a[0] === "only-main", "publish on /");
    await sleep(QUIET_MS);
    assert.deepEqual(boxMain.items, [["only-main"]]);
    assert.deepEqual(boxChat.items, [["only-chat"]]);
  } finally {
    closeAll(main, chat);
  }
});

test("namespace broadcast reaches every socket of that namespace only", async () => {
  const mains = await connectAll(3, "/");
  const chats = await connectAll(3, "/chat");
  try {
    const mainBoxes = mains.map((s) => new Inbox(s));
    const chatBoxes = chats.map((s) => new Inbox(s));
    chats[0].emit("broadcast", "to-all-chat", 7);
    await Promise.all(chatBoxes.map((b, i) => b.waitCount(1, `broadcast at /chat #${i}`)));
    const marker = await settle(mains[0], mains, mainBoxes);
    await sleep(QUIET_MS);
    for (const b of chatBoxes) assert.deepEqual(b.items, [["to-all-chat", 7]]);
    for (const b of mainBoxes) assert.deepEqual(withoutMarkers(b.items, marker), []);
  } finally {
    closeAll(mains, chats);
  }
});

test("to_id reaches exactly the addressed socket", async () => {
  const [a, b, c] = await connectAll(3);
  try {
    const [boxB, boxC] = [new Inbox(b), new Inbox(c)];
    a.emit("to_id", b.id, "for-b", { n: 1 });
    await boxB.waitCount(1, "to_id delivery");
    const marker = await settle(a, [c], [boxC]);
    assert.deepEqual(boxB.items, [["for-b", { n: 1 }]]);
    assert.deepEqual(withoutMarkers(boxC.items, marker), []);
  } finally {
    closeAll(a, b, c);
  }
});

test("/private refuses without auth: connect_error with message and data", async () => {
  for (const auth of [undefined, {}, { token: "wrong" }]) {
    const s = client("/private", auth === undefined ? {} : { auth });
    try {
      const err = await connectError(s, `refusal for auth=${JSON.stringify(auth)}`);
      assert.equal(err.message, "unauthorized");
      assert.deepEqual(err.data, { reason: "bad token" });
      assert.equal(s.connected, false);
    } finally {
      closeAll(s);
    }
  }
});

test("/private accepts token 'secret' and serves the demo events", async () => {
  const [a, b] = await connectAll(2, "/private", { auth: { token: "secret" } });
  try {
    const room = uniqueRoom();
    assert.deepEqual(await call(b, "join", room), ["ok"]);
    const box = new Inbox(b);
    a.emit("publish", room, "private-hello");
    await box.waitCount(1, "publish on /private");
    assert.deepEqual(box.items, [["private-hello"]]);
    assert.deepEqual(await call(a, "ack_echo", 1, "x"), [1, "x"]);
  } finally {
    closeAll(a, b);
  }
});

test("refusal on /private leaves other namespaces of the connection working", async () => {
  const main = client("/");
  try {
    await connected(main);
    const priv = main.io.socket("/private", { auth: { token: "nope" } });
    priv.connect();
    const err = await connectError(priv, "refusal on shared manager");
    assert.equal(err.message, "unauthorized");
    assert.deepEqual(await call(main, "ack_echo", "still-here"), ["still-here"]);
    priv.disconnect();
  } finally {
    closeAll(main);
  }
});

test("unknown namespace -> connect_error 'Invalid namespace', connection stays usable", async () => {
  const main = client("/");
  try {
    await connected(main);
    const bad = main.io.socket("/does-not-exist");
    bad.connect();
    const err = await connectError(bad, "unknown namespace refusal");
    assert.equal(err.message, "Invalid namespace");
    assert.equal(main.connected, true);
    assert.deepEqual(await call(main, "ack_echo", 42), [42]);
    bad.disconnect();
  } finally {
    closeAll(main);
  }

  const alone = client("/nope");
  try {
    const err = await connectError(alone, "unknown namespace on its own connection");
    assert.equal(err.message, "Invalid namespace");
  } finally {
    closeAll(alone);
  }
});

test("server-side disconnect: client sees 'io server disconnect', other namespace survives", async () => {
  const main = io(SERVER_URL + "/", {
    ...TRANSPORT_OPTS, forceNew: true, reconnection: false,
  });
  const chat = main.io.socket("/chat");
  chat.connect();
  try {
    await Promise.all([connected(main), connected(chat, "connect /chat")]);
    const reason = withTimeout(
      new Promise((resolve) => main.once("disconnect", (r) => resolve(r))),
      STEP_TIMEOUT_MS,
      "disconnect event",
    );
    main.emit("disconnect_me");
    assert.equal(await reason, "io server disconnect");
    assert.equal(main.connected, false);
    // The Engine.IO connection outlives the namespace.
    assert.equal(chat.connected, true);
    assert.deepEqual(await call(chat, "ack_echo", "alive"), ["alive"]);
  } finally {
    closeAll(main, chat);
  }
});
