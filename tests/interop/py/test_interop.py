#!/usr/bin/python3
"""Interop checks with the python-socketio client (Debian python3-socketio).

Run with /usr/bin/python3; SERVER_URL selects the server. Prints a closing
line 'py: N passed, M failed' and exits non-zero on any failure.
"""
import os
import sys
import threading
import time
import unittest
import uuid

import socketio

SERVER_URL = os.environ.get("SERVER_URL", "http://127.0.0.1:3000")
TIMEOUT = float(os.environ.get("STEP_TIMEOUT_S", "5"))
QUIET = float(os.environ.get("QUIET_MS", "200")) / 1000.0
# "websocket" only, "polling" only, or "default" (polling, then the upgrade).
TRANSPORT_MODE = os.environ.get("INTEROP_TRANSPORTS", "websocket")
TRANSPORTS = None if TRANSPORT_MODE == "default" else TRANSPORT_MODE.split(",")
FINAL_TRANSPORT = "polling" if TRANSPORT_MODE == "polling" else "websocket"


def wait_final_transport(sio):
    """In default mode the client upgrades after connecting; bounded wait for it."""
    deadline = time.monotonic() + TIMEOUT
    while sio.transport() != FINAL_TRANSPORT and time.monotonic() < deadline:
        time.sleep(0.02)
    return sio.transport()


def unique_room(tag="room"):
    return f"{tag}-{uuid.uuid4()}"


class Inbox:
    """Collects deliveries of one event on one namespace; waits are bounded."""

    def __init__(self, sio, event, namespace="/"):
        self.items = []
        self.cond = threading.Condition()
        sio.on(event, self._on, namespace=namespace)

    def _on(self, *args):
        with self.cond:
            self.items.append(list(args))
            self.cond.notify_all()

    def wait_count(self, n, what, timeout=TIMEOUT):
        with self.cond:
            ok = self.cond.wait_for(lambda: len(self.items) >= n, timeout=timeout)
        if not ok:
            raise AssertionError(f"timed out waiting for {what}; got {self.items!r}")
        return list(self.items)


def make_client():
    return socketio.Client(reconnection=False)


def connect(sio, namespaces=("/",), auth=None):
    sio.connect(SERVER_URL, namespaces=list(namespaces), transports=TRANSPORTS,
                auth=auth, wait_timeout=TIMEOUT)
    return sio


class InteropTest(unittest.TestCase):
    def setUp(self):
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            try:
                c.disconnect()
            except Exception:
                pass

    def connected(self, namespaces=("/",), auth=None):
        sio = make_client()
        self.clients.append(sio)
        return connect(sio, namespaces, auth)

    def test_connect_root_and_chat_on_one_connection(self):
        sio = self.connected(("/", "/chat"))
        self.assertTrue(sio.connected)
        root_sid = sio.get_sid("/")
        chat_sid = sio.get_sid("/chat")
        self.assertIsInstance(root_sid, str)
        self.assertIsInstance(chat_sid, str)
        self.assertNotEqual(root_sid, chat_sid)
        self.assertNotEqual(root_sid, sio.eio.sid, "socket id is not the engine sid")
        self.assertEqual(wait_final_transport(sio), FINAL_TRANSPORT)
        self.assertEqual(sio.call("whoami", timeout=TIMEOUT), root_sid)
        self.assertEqual(sio.call("whoami", namespace="/chat", timeout=TIMEOUT), chat_sid)

    def test_join_publish_receive(self):
        sub = self.connected(("/", "/chat"))
        pub = self.connected(("/",))
        other = self.connected(("/",))
        room = unique_room()
        box = Inbox(sub, "message")
        chat_box = Inbox(sub, "message", namespace="/chat")
        other_box = Inbox(other, "message")
        self.assertEqual(sub.call("join", room, timeout=TIMEOUT), "ok")
        pub.emit("publish", (room, "hello", {"n": 1, "list": [1, 2.5, None]}))
        items = box.wait_count(1, "publish delivery")
        # A marker to the non-member, then a quiet period.
        marker = f"marker-{uuid.uuid4()}"
        pub.emit("to_id", (other.get_sid("/"), marker))
        other_box.wait_count(1, "marker")
        time.sleep(QUIET)
        self.assertEqual(items, [["hello", {"n": 1, "list": [1, 2.5, None]}]])
        self.assertEqual(box.items, items, "exactly one delivery")
        self.assertEqual(other_box.items, [[marker]], "non-member got only the marker")
        self.assertEqual(chat_box.items, [], "/chat is another namespace")
        self.assertEqual(sub.call("leave", room, timeout=TIMEOUT), "ok")
        self.assertEqual(pub.call("fetch_count", (room,), timeout=TIMEOUT), 0)

    def test_ack_round_trip(self):
        sio = self.connected(("/", "/chat"))
        self.assertEqual(sio.call("ack_echo", "single", timeout=TIMEOUT), "single")
        got = sio.call("ack_echo", (1, "two", {"three": [3]}, True), timeout=TIMEOUT)
        self.assertEqual(got, (1, "two", {"three": [3]}, True))
        got = sio.call("ack_echo", ("chat", 2), namespace="/chat", timeout=TIMEOUT)
        self.assertEqual(got, ("chat", 2))

    def test_server_to_client_ack(self):
        sio = make_client()
        self.clients.append(sio)
        questions = []

        def on_question(*args):
            questions.append(list(args))
            return ("py-reply", len(args))

        sio.on("question", on_question)
        answers = Inbox(sio, "answer")
        connect(sio)
        sio.emit("ask", ("q", 1))
        answers.wait_count(1, "answer")
        self.assertEqual(questions, [["q", 1]])
        self.assertEqual(answers.items, [["py-reply", 2]])

    def test_private_refused_without_auth(self):
        sio = make_client()
        self.clients.append(sio)
        errors = []
        sio.on("connect_error", lambda *a: errors.append(list(a)), namespace="/private")
        with self.assertRaises(socketio.exceptions.ConnectionError):
            sio.connect(SERVER_URL, namespaces=["/private"], transports=TRANSPORTS,
                        wait_timeout=1)
        self.assertEqual(errors, [[{"message": "unauthorized", "data": {"reason": "bad token"}}]])

    def test_private_accepted_with_auth(self):
        sio = self.connected(("/private",), auth={"token": "secret"})
        sid = sio.get_sid("/private")
        self.assertIsInstance(sid, str)
        self.assertEqual(sio.call("whoami", namespace="/private", timeout=TIMEOUT), sid)
        self.assertEqual(sio.call("ack_echo", ("p",), namespace="/private", timeout=TIMEOUT), "p")

    def test_binary_round_trip(self):
        sio = self.connected()
        blob = bytes(range(256)) * 4
        small = b"\x00\x01\xfe\xff"
        echoes = Inbox(sio, "echo")
        sio.emit("echo", (blob, {"nested": small, "list": [small, "s"]}, "tail"))
        [[rblob, robj, rtail]] = echoes.wait_count(1, "binary echo")
        self.assertIsInstance(rblob, bytes)
        self.assertEqual(rblob, blob)
        self.assertEqual(robj["nested"], small)
        self.assertEqual(robj["list"], [small, "s"])
        self.assertEqual(rtail, "tail")
        # Binary in an ack (BINARY_ACK).
        got = sio.call("ack_echo", (small, {"b": blob}), timeout=TIMEOUT)
        self.assertEqual(got, (small, {"b": blob}))

    def test_binary_publish_between_clients(self):
        sub = self.connected()
        pub = self.connected()
        room = unique_room("bin")
        box = Inbox(sub, "message")
        self.assertEqual(sub.call("join", room, timeout=TIMEOUT), "ok")
        pub.emit("publish", (room, b"\x10\x20", "x"))
        self.assertEqual(box.wait_count(1, "binary publish"), [[b"\x10\x20", "x"]])

    def test_server_disconnect(self):
        sio = make_client()
        self.clients.append(sio)
        gone = threading.Event()
        sio.on("disconnect", lambda: gone.set())
        connect(sio)
        sio.emit("disconnect_me")
        self.assertTrue(gone.wait(TIMEOUT), "disconnect event")


def main():
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(InteropTest)
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    print(f"py: {passed} passed, {failed} failed")
    return 0 if failed == 0 and result.testsRun > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
