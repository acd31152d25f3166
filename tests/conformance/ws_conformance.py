#!/usr/bin/python3
"""WebSocket conformance run against roomcastd's bare Engine.IO endpoint.

Covers the case categories of the Autobahn|Testsuite (which needs Python 2 and cannot run
here) with a raw frame writer of its own: framing (1), ping/pong (2), reserved bits (3),
opcodes (4), fragmentation (5), UTF-8 (6), close handling (7), limits and large messages (9).

Over /engine.io/?EIO=4&transport=websocket every text frame is an Engine.IO packet, so an
Autobahn text payload P is sent as "4" + P (an Engine.IO message) and comes back as "4" + P;
binary frames are Engine.IO binary messages and come back unchanged. Ping, pong, close and
every framing rule are the WebSocket layer's and are tested as Autobahn tests them.

  ws_conformance.py ROOMCASTD            start roomcastd on a free loopback port and run
  ws_conformance.py --port N             run against a roomcastd already listening on N
  options: --only PREFIX (case ids starting with it), --verbose (time per case),
           --markdown FILE (also write the table as Markdown: docs/ws-conformance.md)

Prints one row per case (id, category, description, expected, observed, pass/fail) and
totals per category; exits 1 if any case fails.
"""

import argparse
import base64
import json
import os
import re
import select
import socket
import struct
import subprocess
import sys
import time

# ---------------------------------------------------------------- frames

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
KEY = b"\x5a\x13\xc7\x01"  # fixed: a failing case replays byte for byte


def frame(opcode, payload=b"", fin=True, rsv=0, mask=True, length=None, len_form=None):
    """One client frame. `length` overrides the declared payload length (the payload sent
    is still `payload`); `len_form` forces the 7-bit (0), 16-bit (2) or 64-bit (8) form."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | (rsv & 7) << 4 | (opcode & 0xF)
    m = 0x80 if mask else 0
    form = len_form if len_form is not None else (0 if n < 126 else 2 if n <= 0xFFFF else 8)
    if form == 0:
        head = bytes([b0, m | n])
    elif form == 2:
        head = bytes([b0, m | 126]) + struct.pack("!H", n)
    else:
        head = bytes([b0, m | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    return head + KEY + bytes(b ^ KEY[i & 3] for i, b in enumerate(payload))


def close_frame(code=None, reason=b""):
    if isinstance(reason, str):
        reason = reason.encode()
    return frame(OP_CLOSE, b"" if code is None else struct.pack("!H", code) + reason)


def text(p, **kw):
    return frame(OP_TEXT, p, **kw)


def eio(p):
    """An Autobahn text payload as an Engine.IO message packet."""
    return b"4" + (p.encode() if isinstance(p, str) else p)


# ---------------------------------------------------------------- connection


class Closed(Exception):
    pass


class Conn:
    """A WebSocket client on the bare Engine.IO endpoint that records what the server
    sends: ("text", bytes), ("binary", bytes), ("pong", bytes), ("close", code) and ("eof",)."""

    def __init__(self, port, timeout):
        self.timeout = timeout
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /engine.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                           "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                           f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Closed("no upgrade response")
            self.buf += chunk
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101 "):
            raise Closed("upgrade refused: " + head.split(b"\r\n")[0].decode(errors="replace"))
        self.events = []
        self.eof = False
        self.close_sent = False
        self.frag = None  # (opcode, bytes) of a fragmented server message
        ev = self.next_event(timeout)
        if not ev or ev[0] != "text" or not ev[1].startswith(b"0{"):
            raise Closed(f"no Engine.IO open packet: {ev}")
        self.open = json.loads(ev[1][1:])
        self.events = []

    def send(self, data, chop=None, delay=0.0):
        """Sends bytes whole or in `chop`-byte pieces (each its own write), `delay` apart.
        A server that already closed may refuse the rest: that is recorded, not raised."""
        step = chop or max(len(data), 1)
        try:
            for i in range(0, len(data), step):
                self.sock.sendall(data[i:i + step])
                if delay:
                    time.sleep(delay)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _read_frame(self, deadline):
        while True:
            f = self._parse()
            if f is not None:
                return f
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                return None
            try:
                chunk = self.sock.recv(1 << 20)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                self.eof = True
                return "eof"
            self.buf += chunk

    def _parse(self):
        b = self.buf
        if len(b) < 2:
            return None
        fin, op, n = b[0] & 0x80, b[0] & 0x0F, b[1] & 0x7F
        if b[0] & 0x70 or b[1] & 0x80:
            raise AssertionError("server frame with RSV bits or a mask")
        pos = 2
        if n == 126:
            if len(b) < 4:
                return None
            n, pos = struct.unpack("!H", b[2:4])[0], 4
        elif n == 127:
            if len(b) < 10:
                return None
            n, pos = struct.unpack("!Q", b[2:10])[0], 10
        if len(b) < pos + n:
            return None
        self.buf = b[pos + n:]
        return (bool(fin), op, b[pos:pos + n])

    def next_event(self, timeout):
        """The next message or control frame, "eof", or None when nothing came in time.
        Engine.IO heartbeat pings ("2") are answered and not reported."""
        deadline = time.monotonic() + timeout
        while True:
            if self.eof and not self.buf:
                return ("eof",)
            f = self._read_frame(deadline)
            if f is None:
                return None
            if f == "eof":
                return ("eof",)
            fin, op, p = f
            if op == OP_CLOSE:
                code = struct.unpack("!H", p[:2])[0] if len(p) >= 2 else 1005
                if not self.close_sent:  # RFC 6455 5.5.1: answer the server's close
                    self.send(close_frame(code if code != 1005 else None))
                    self.close_sent = True
                return ("close", code)
            if op == OP_PING:
                return ("ping", p)
            if op == OP_PONG:
                return ("pong", p)
            if op in (OP_TEXT, OP_BINARY) and not fin:
                self.frag = (op, p)
                continue
            if op == OP_CONT:
                if not self.frag:
                    raise AssertionError("server continuation without a start")
                self.frag = (self.frag[0], self.frag[1] + p)
                if not fin:
                    continue
                op, p = self.frag
                self.frag = None
            kind = "text" if op == OP_TEXT else "binary"
            if kind == "text" and p == b"2":
                self.send(text(b"3"))
                continue
            return (kind, p)

    def collect(self, count, timeout):
        """Reads events until `count` data/pong events were seen (those run() recorded
        included), or the server closed."""
        got = sum(1 for ev in self.events if ev[0] in ("text", "binary", "pong", "ping"))
        if any(ev[0] in ("close", "eof", "timeout") for ev in self.events):
            return False
        while got < count:
            ev = self.next_event(timeout)
            if ev is None:
                self.events.append(("timeout",))
                return False
            self.events.append(ev)
            if ev[0] in ("close", "eof"):
                return False
            got += 1
        return True

    def until_closed(self, timeout):
        """Reads events up to and including EOF (or a timeout, recorded as such)."""
        while True:
            ev = self.next_event(timeout)
            if ev is None:
                self.events.append(("timeout",))
                return
            self.events.append(ev)
            if ev[0] == "eof":
                return

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


# ---------------------------------------------------------------- expectations


def describe(events):
    """Events as the table shows them: kinds and payload sizes (payloads are compared in
    full, but a 1 MB payload does not fit in a cell)."""
    parts = []
    for ev in events:
        if ev[0] in ("text", "binary", "pong", "ping"):
            parts.append(f"{ev[0]}({len(ev[1])})")
        elif ev[0] == "close":
            parts.append(f"close {ev[1]}")
        elif ev[0] == "fast":
            parts.append("(before the rest)")
        else:
            parts.append(ev[0])
    runs = []  # repeats folded: "text(16) x1000"
    for part in parts:
        if runs and runs[-1][0] == part:
            runs[-1][1] += 1
        else:
            runs.append([part, 1])
    return " ".join(p if n == 1 else f"{p} x{n}" for p, n in runs) if runs else "nothing"


class Case:
    """One case: `run(conn)` sends; the outcome is either `echo` (these messages, in order,
    then the client's close 1000 is answered with 1000) or `close_code` (these messages,
    then the server's close frame with that code, then EOF). `fast`: the close must arrive
    before the rest of the message is sent (run() marks that with conn.events "fast")."""

    def __init__(self, cid, cat, desc, run, echo=None, close_code=None, fast=False):
        self.id, self.cat, self.desc, self.run = cid, cat, desc, run
        self.echo, self.close_code, self.fast = echo, close_code, fast

    def expected_events(self):
        if self.close_code is None:
            return list(self.echo or []) + [("close", 1000), ("eof",)]
        ev = list(self.echo or [])
        if self.fast:
            ev.append(("fast",))
        return ev + [("close", self.close_code), ("eof",)]

    def expected_text(self):
        return describe(self.expected_events())


def run_case(case, port, timeout):
    try:
        conn = Conn(port, timeout)
    except (OSError, Closed) as e:
        return False, f"connect failed: {e}"
    try:
        case.run(conn)
        if case.close_code is None:
            if conn.collect(len(case.echo or []), timeout):
                conn.send(close_frame(1000))
                conn.close_sent = True
                conn.until_closed(timeout)
        else:
            conn.until_closed(timeout)
        observed = conn.events
    except AssertionError as e:
        return False, f"bad server frame: {e}"
    finally:
        conn.close()
    ok = observed == case.expected_events()
    text_ = describe(observed)
    if not ok and describe(observed) == case.expected_text():
        text_ += " (payload differs)"
    return ok, text_


def fail_fast(conn, first, rest, wait=3.0):
    """Sends `first`, waits for the server to fail the connection within `wait` seconds
    (recording "fast" if it did), then sends `rest` as a lenient server would need it."""
    conn.send(first)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        ev = conn.next_event(deadline - time.monotonic())
        if ev is None:
            break
        if ev[0] == "close":
            conn.events += [("fast",), ev]
            return
        conn.events.append(ev)
    conn.send(rest)


# ---------------------------------------------------------------- cases


def build_cases(max_payload):
    cases = []

    def add(cid, cat, desc, run, **kw):
        cases.append(Case(cid, cat, desc, run, **kw))

    def sends(*chunks, chop=None, delay=0.0):
        data = b"".join(chunks)
        return lambda c: c.send(data, chop=chop, delay=delay)

    def steps(*chunks, delay=0.1):
        """Each frame its own write, `delay` apart (Autobahn's "with delays"): the server
        then sees every frame in a separate read, so state kept between reads is tested."""
        def run(c):
            for x in chunks:
                c.send(x)
                time.sleep(delay)
        return run

    # ---- 1 framing: every length boundary of the 7/16/64-bit forms, text and binary
    for i, (n, chop) in enumerate([(1, None), (125, None), (126, None), (127, None), (128, None),
                                   (65535, None), (65536, None), (65536, 997)], 1):
        p = eio(b"*" * (n - 1))
        how = f", sent in {chop}-byte chops" if chop else ""
        add(f"1.1.{i}", 1, f"text frame of {n} B (\"4\" + {n - 1} B){how}", sends(text(p), chop=chop),
            echo=[("text", p)])
    for i, (n, chop) in enumerate([(0, None), (125, None), (126, None), (127, None), (128, None),
                                   (65535, None), (65536, None), (65536, 997)], 1):
        p = bytes(range(256)) * (n // 256) + bytes(range(n % 256))
        how = f", sent in {chop}-byte chops" if chop else ""
        add(f"1.2.{i}", 1, f"binary frame of {n} B{how}", sends(frame(OP_BINARY, p), chop=chop),
            echo=[("binary", p)])
    add("1.3.1", 1, "length 5 in the 16-bit form (non-minimal, allowed to a receiver)",
        sends(text(eio("abcd"), len_form=2)), echo=[("text", eio("abcd"))])
    add("1.3.2", 1, "length 5 in the 64-bit form", sends(text(eio("abcd"), len_form=8)),
        echo=[("text", eio("abcd"))])
    add("1.3.3", 1, "unmasked client frame", sends(text(eio("x"), mask=False)), close_code=1002)
    add("1.3.4", 1, "300 B text, every byte its own write", sends(text(eio("y" * 299)), chop=1),
        echo=[("text", eio("y" * 299))])
    add("1.3.5", 1, "text frame of 0 B: not an Engine.IO packet", sends(text(b"")), close_code=1002)

    # ---- 2 ping/pong
    bin8 = bytes([0x00, 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0x00, 0xFF])
    add("2.1", 2, "ping without payload", sends(frame(OP_PING)), echo=[("pong", b"")])
    add("2.2", 2, "ping with a text payload", sends(frame(OP_PING, "Hello, world!")),
        echo=[("pong", b"Hello, world!")])
    add("2.3", 2, "ping with a binary payload", sends(frame(OP_PING, bin8)), echo=[("pong", bin8)])
    add("2.4", 2, "ping with 125 B", sends(frame(OP_PING, b"\xfe" * 125)), echo=[("pong", b"\xfe" * 125)])
    add("2.5", 2, "ping with 126 B", sends(frame(OP_PING, b"\xfe" * 126)), close_code=1002)
    add("2.6", 2, "ping with 125 B, sent in 1-byte chops", sends(frame(OP_PING, b"\xfe" * 125), chop=1),
        echo=[("pong", b"\xfe" * 125)])
    add("2.7", 2, "unsolicited pong without payload", sends(frame(OP_PONG)), echo=[])
    add("2.8", 2, "unsolicited pong with payload", sends(frame(OP_PONG, "unsolicited")), echo=[])
    add("2.9", 2, "unsolicited pong, then ping", sends(frame(OP_PONG, "x"), frame(OP_PING, "ping")),
        echo=[("pong", b"ping")])
    tenp = [frame(OP_PING, f"payload-{i}") for i in range(10)]
    tenr = [("pong", f"payload-{i}".encode()) for i in range(10)]
    add("2.10", 2, "10 pings in one write: 10 pongs in order", sends(*tenp), echo=tenr)
    add("2.11", 2, "10 pings in 1-byte chops", sends(*tenp, chop=1), echo=tenr)
    add("2.12", 2, "ping of 125 B in the 16-bit length form", sends(frame(OP_PING, b"p" * 125, len_form=2)),
        close_code=1002)

    # ---- 3 reserved bits (no extension is negotiated)
    hello = eio("Hello, world!")
    add("3.1", 3, "text with RSV=1", sends(text(hello, rsv=1)), close_code=1002)
    add("3.2", 3, "text, text with RSV=2, ping", sends(text(hello), text(hello, rsv=2), frame(OP_PING)),
        echo=[("text", hello)], close_code=1002)
    add("3.3", 3, "text, text with RSV=3, ping, with delays",
        steps(text(hello), text(hello, rsv=3), frame(OP_PING)), echo=[("text", hello)], close_code=1002)
    add("3.4", 3, "text, text with RSV=4, ping, in 1-byte chops",
        sends(text(hello), text(hello, rsv=4), frame(OP_PING), chop=1), echo=[("text", hello)], close_code=1002)
    add("3.5", 3, "binary with RSV=5", sends(frame(OP_BINARY, bin8, rsv=5)), close_code=1002)
    add("3.6", 3, "ping with RSV=6", sends(frame(OP_PING, "x", rsv=6)), close_code=1002)
    add("3.7", 3, "close with RSV=7", sends(frame(OP_CLOSE, struct.pack("!H", 1000), rsv=7)), close_code=1002)
    add("3.8", 3, "continuation with RSV=1 inside a fragmented text",
        sends(text(eio("ab"), fin=False), frame(OP_CONT, "cd", rsv=1)), close_code=1002)
    add("3.9", 3, "pong with RSV=2", sends(frame(OP_PONG, "x", rsv=2)), close_code=1002)

    # ---- 4 opcodes: reserved non-control 3-7, reserved control 11-15
    for i, op in enumerate([3, 4, 5, 6, 7], 1):
        if i in (3, 4):
            add(f"4.1.{i}", 4, f"text, opcode {op} with payload, ping",
                sends(text(hello), frame(op, "reserved"), frame(OP_PING)), echo=[("text", hello)], close_code=1002)
        elif i == 5:
            add(f"4.1.{i}", 4, f"text, opcode {op}, ping, in 1-byte chops",
                sends(text(hello), frame(op, "x"), frame(OP_PING), chop=1), echo=[("text", hello)], close_code=1002)
        else:
            add(f"4.1.{i}", 4, f"opcode {op}" + (" with payload" if i == 2 else ""),
                sends(frame(op, "x" if i == 2 else b"")), close_code=1002)
    for i, op in enumerate([11, 12, 13, 14, 15], 1):
        if i in (3, 4):
            add(f"4.2.{i}", 4, f"text, opcode {op} with payload, ping",
                sends(text(hello), frame(op, "reserved"), frame(OP_PING)), echo=[("text", hello)], close_code=1002)
        elif i == 5:
            add(f"4.2.{i}", 4, f"text, opcode {op}, ping, in 1-byte chops",
                sends(text(hello), frame(op, "x"), frame(OP_PING), chop=1), echo=[("text", hello)], close_code=1002)
        else:
            add(f"4.2.{i}", 4, f"opcode {op}" + (" with payload" if i == 2 else ""),
                sends(frame(op, "x" if i == 2 else b"")), close_code=1002)
    add("4.3.1", 4, "reserved opcode 3 between fragments of a text",
        sends(text(eio("ab"), fin=False), frame(3, "x", fin=False)), close_code=1002)

    # ---- 5 fragmentation
    f1, f2 = text(eio("fragment1"), fin=False), frame(OP_CONT, "fragment2")
    whole = ("text", eio("fragment1fragment2"))
    add("5.1", 5, "ping in 2 fragments", sends(frame(OP_PING, "ping", fin=False), frame(OP_CONT, "pong")),
        close_code=1002)
    add("5.2", 5, "pong in 2 fragments", sends(frame(OP_PONG, "ping", fin=False), frame(OP_CONT, "pong")),
        close_code=1002)
    add("5.3", 5, "text in 2 fragments", sends(f1, f2), echo=[whole])
    add("5.4", 5, "text in 2 fragments, in 1-byte chops", sends(f1, f2, chop=1), echo=[whole])
    add("5.5", 5, "text in 2 fragments, with delays", steps(f1, f2), echo=[whole])
    pg = frame(OP_PING, "between")
    add("5.6", 5, "text in 2 fragments, ping between", sends(f1, pg, f2), echo=[("pong", b"between"), whole])
    add("5.7", 5, "same, in 1-byte chops", sends(f1, pg, f2, chop=1), echo=[("pong", b"between"), whole])
    add("5.8", 5, "same, with delays", steps(f1, pg, f2), echo=[("pong", b"between"), whole])
    orphan_fin = frame(OP_CONT, "non-continuation payload")
    orphan = frame(OP_CONT, "non-continuation payload", fin=False)
    tail = [text(hello)]
    add("5.9", 5, "continuation (FIN) with nothing to continue, then text", sends(orphan_fin, *tail),
        close_code=1002)
    add("5.10", 5, "same, in 1-byte chops", sends(orphan_fin, *tail, chop=1), close_code=1002)
    add("5.11", 5, "continuation (FIN) with nothing to continue, with delays", steps(orphan_fin, *tail),
        close_code=1002)
    add("5.12", 5, "continuation (no FIN) with nothing to continue", sends(orphan, *tail), close_code=1002)
    add("5.13", 5, "same, in 1-byte chops", sends(orphan, *tail, chop=1), close_code=1002)
    add("5.14", 5, "same, with delays", steps(orphan, *tail), close_code=1002)
    add("5.15", 5, "text in 2 fragments, orphan continuation, text",
        sends(f1, f2, orphan, text(hello)), echo=[whole], close_code=1002)
    add("5.16", 5, "2x (orphan continuation, text fragment, final continuation)",
        sends(*[orphan, text(eio("a"), fin=False), frame(OP_CONT, "b")] * 2), close_code=1002)
    add("5.17", 5, "2x (orphan final continuation, text fragment, final continuation)",
        sends(*[orphan_fin, text(eio("a"), fin=False), frame(OP_CONT, "b")] * 2), close_code=1002)
    add("5.18", 5, "text in 2 fragments, both with opcode text", sends(f1, text(eio("again"))), close_code=1002)
    five = [text(eio("f1"), fin=False), frame(OP_CONT, "f2", fin=False), frame(OP_PING, "p1"),
            frame(OP_CONT, "f3", fin=False), frame(OP_CONT, "f4", fin=False), frame(OP_PING, "p2"),
            frame(OP_CONT, "f5")]
    five_out = [("pong", b"p1"), ("pong", b"p2"), ("text", eio("f1f2f3f4f5"))]
    add("5.19", 5, "text in 5 fragments, 2 pings between, with delays", steps(*five), echo=five_out)
    add("5.20", 5, "same, in 1-byte chops", sends(*five, chop=1), echo=five_out)
    add("5.21", 5, "text: \"4\" then 3 empty continuations", sends(text(eio(""), fin=False),
        frame(OP_CONT, "", fin=False), frame(OP_CONT, "", fin=False), frame(OP_CONT, "")),
        echo=[("text", eio(""))])
    add("5.22", 5, "binary in 3 fragments", sends(frame(OP_BINARY, bin8, fin=False),
        frame(OP_CONT, b"\x01", fin=False), frame(OP_CONT, b"\x02")), echo=[("binary", bin8 + b"\x01\x02")])
    many = [frame(OP_BINARY, b"0123456789", fin=False)] + [frame(OP_CONT, b"0123456789", fin=False)] * 98 + \
        [frame(OP_CONT, b"0123456789")]
    add("5.23", 5, "binary in 100 fragments of 10 B", sends(*many), echo=[("binary", b"0123456789" * 100)])
    add("5.24", 5, "text fragment, then a binary frame", sends(f1, frame(OP_BINARY, bin8)), close_code=1002)
    add("5.25", 5, "binary fragment, then a text frame", sends(frame(OP_BINARY, bin8, fin=False), text(hello)),
        close_code=1002)

    # ---- 6 UTF-8
    add("6.1.1", 6, "text \"4\" (Autobahn: empty text message)", sends(text(eio(""))), echo=[("text", eio(""))])
    add("6.1.2", 6, "\"4\" then 2 empty fragments", sends(text(eio(""), fin=False), frame(OP_CONT, "", fin=False),
        frame(OP_CONT, "")), echo=[("text", eio(""))])
    add("6.1.3", 6, "\"4\", a non-empty fragment, an empty one", sends(text(eio(""), fin=False),
        frame(OP_CONT, "middle", fin=False), frame(OP_CONT, "")), echo=[("text", eio("middle"))])
    mixed = "Hello-µ@ßöäüàá-UTF-8!!".encode()
    kosme = "κόσμε".encode()

    def fragmented(p, size):
        chunks = [p[i:i + size] for i in range(0, len(p), size)] or [b""]
        out = [text(b"4" + chunks[0], fin=len(chunks) == 1)]
        for j, ch in enumerate(chunks[1:], 2):
            out.append(frame(OP_CONT, ch, fin=j == len(chunks)))
        return b"".join(out)

    add("6.2.1", 6, "valid UTF-8 text in one frame", sends(text(eio(mixed))), echo=[("text", eio(mixed))])
    add("6.2.2", 6, "same, fragmented at code point boundaries",
        sends(text(eio(mixed[:6]), fin=False), frame(OP_CONT, mixed[6:])), echo=[("text", eio(mixed))])
    add("6.2.3", 6, "same, one frame per byte (code points split over fragments)",
        sends(fragmented(mixed, 1)), echo=[("text", eio(mixed))])
    add("6.2.4", 6, "\"κόσμε\", one frame per byte", sends(fragmented(kosme, 1)), echo=[("text", eio(kosme))])
    bad = kosme + b"\xed\xa0\x80" + b"edited"
    add("6.3.1", 6, "invalid UTF-8 (surrogate) in one frame", sends(text(eio(bad))), close_code=1007)
    add("6.3.2", 6, "same, one frame per byte", sends(fragmented(bad, 1)), close_code=1007)
    p1, p2, p3 = kosme, b"\xf4\x90\x80\x80", b"edited"
    add("6.4.1", 6, "fail fast: valid fragment, then one with U+110000, then the rest",
        lambda c: fail_fast(c, text(eio(p1), fin=False) + frame(OP_CONT, p2, fin=False), frame(OP_CONT, p3)),
        close_code=1007, fast=True)
    add("6.4.2", 6, "fail fast: as 6.4.1 but the invalid fragment is the lone byte 0x90 after 0xF4",
        lambda c: fail_fast(c, text(eio(p1 + b"\xf4"), fin=False) + frame(OP_CONT, b"\x90", fin=False),
                            frame(OP_CONT, b"\x80\x80" + p3)), close_code=1007, fast=True)
    one = text(eio(p1 + p2 + p3))
    cut = len(one) - len(p3)
    add("6.4.3", 6, "fail fast: one frame, sent up to U+110000, rest later",
        lambda c: fail_fast(c, one[:cut], one[cut:]), close_code=1007, fast=True)
    cut2 = len(one) - len(p3) - 2
    add("6.4.4", 6, "fail fast: one frame, sent up to 0xF4 0x90, rest later",
        lambda c: fail_fast(c, one[:cut2], one[cut2:]), close_code=1007, fast=True)

    valid = [
        ("κόσμε", kosme), ("U+0000", b"\x00"), ("U+007F", b"\x7f"), ("U+0080", b"\xc2\x80"),
        ("U+07FF", b"\xdf\xbf"), ("U+0800", b"\xe0\xa0\x80"), ("U+D7FF", b"\xed\x9f\xbf"),
        ("U+E000", b"\xee\x80\x80"), ("U+FFFD", b"\xef\xbf\xbd"), ("U+FFFE (noncharacter, valid)", b"\xef\xbf\xbe"),
        ("U+FFFF (noncharacter, valid)", b"\xef\xbf\xbf"), ("U+10000", b"\xf0\x90\x80\x80"),
        ("U+10FFFF", b"\xf4\x8f\xbf\xbf"), ("U+1F600", b"\xf0\x9f\x98\x80"),
    ]
    for i, (name, seq) in enumerate(valid, 1):
        add(f"6.5.{i}", 6, f"valid {name} in one frame", sends(text(eio(seq))), echo=[("text", eio(seq))])
        add(f"6.6.{i}", 6, f"valid {name}, one frame per byte", sends(fragmented(seq, 1)),
            echo=[("text", eio(seq))])

    invalid = [
        ("lone continuation 0x80", b"\x80"), ("lone continuation 0xBF", b"\xbf"),
        ("3 continuation bytes", b"\x80\xbf\x80"), ("lead 0xC0 then space", b"\xc0 "),
        ("lead 0xE0 then space", b"\xe0 "), ("lead 0xF0 then space", b"\xf0 "),
        ("2-byte form missing its last byte", b"\xdf"), ("3-byte form missing its last byte", b"\xef\xbf"),
        ("4-byte form missing its last byte", b"\xf4\x8f\xbf"), ("impossible byte 0xFE", b"\xfe"),
        ("impossible byte 0xFF", b"\xff"), ("0xFE 0xFE 0xFF 0xFF", b"\xfe\xfe\xff\xff"),
        ("overlong '/' in 2 bytes", b"\xc0\xaf"), ("overlong '/' in 3 bytes", b"\xe0\x80\xaf"),
        ("overlong '/' in 4 bytes", b"\xf0\x80\x80\xaf"), ("overlong '/' in 5 bytes", b"\xf8\x80\x80\x80\xaf"),
        ("largest overlong 2-byte", b"\xc1\xbf"), ("largest overlong 3-byte", b"\xe0\x9f\xbf"),
        ("largest overlong 4-byte", b"\xf0\x8f\xbf\xbf"), ("overlong NUL", b"\xc0\x80"),
        ("surrogate U+D800", b"\xed\xa0\x80"), ("surrogate U+DBFF", b"\xed\xaf\xbf"),
        ("surrogate U+DC00", b"\xed\xb0\x80"), ("surrogate U+DFFF", b"\xed\xbf\xbf"),
        ("surrogate pair", b"\xed\xa0\x80\xed\xb0\x80"), ("U+110000", b"\xf4\x90\x80\x80"),
        ("5-byte form", b"\xf8\x88\x80\x80\x80"), ("6-byte form", b"\xfc\x84\x80\x80\x80\x80"),
        ("lead 0xF5", b"\xf5\x80\x80\x80"), ("valid text, then a truncated sequence", kosme + b"\xe2\x82"),
    ]
    for i, (name, seq) in enumerate(invalid, 1):
        add(f"6.7.{i}", 6, f"invalid: {name}, one frame", sends(text(eio(seq))), close_code=1007)
        add(f"6.8.{i}", 6, f"invalid: {name}, one frame per byte", sends(fragmented(seq, 1)), close_code=1007)

    # ---- 7 close handling
    add("7.1.1", 7, "text, then close 1000", sends(text(hello), close_frame(1000)),
        echo=[("text", hello)], close_code=1000)
    add("7.1.2", 7, "close twice", sends(close_frame(1000), close_frame(1000)), close_code=1000)
    add("7.1.3", 7, "close, then ping: no pong", sends(close_frame(1000), frame(OP_PING, "x")), close_code=1000)
    add("7.1.4", 7, "close, then text: no echo", sends(close_frame(1000), text(hello)), close_code=1000)
    add("7.1.5", 7, "text fragment, close, final fragment: nothing delivered",
        sends(text(eio("frag"), fin=False), close_frame(1000), frame(OP_CONT, "ment")), close_code=1000)
    big = eio("*" * 65535)
    add("7.1.6", 7, "64 KiB text, ping, close", sends(text(big), frame(OP_PING, "p"), close_frame(1000)),
        echo=[("text", big), ("pong", b"p")], close_code=1000)
    add("7.3.1", 7, "close with empty payload (answered 1000)", sends(close_frame()), close_code=1000)
    add("7.3.2", 7, "close with 1-byte payload", sends(frame(OP_CLOSE, b"\x03")), close_code=1002)
    add("7.3.3", 7, "close 1000 without reason", sends(close_frame(1000)), close_code=1000)
    add("7.3.4", 7, "close 1000 with reason", sends(close_frame(1000, "Hello World!")), close_code=1000)
    add("7.3.5", 7, "close 1000 with a 123-byte reason", sends(close_frame(1000, "*" * 123)), close_code=1000)
    add("7.3.6", 7, "close with a 124-byte reason (payload 126)", sends(close_frame(1000, "*" * 124)),
        close_code=1002)
    add("7.3.7", 7, "close 1000 with reason, in 1-byte chops", sends(close_frame(1000, "bye"), chop=1),
        close_code=1000)
    add("7.5.1", 7, "close reason with invalid UTF-8", sends(close_frame(1000, kosme + b"\xed\xa0\x80")),
        close_code=1007)
    for i, code in enumerate([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999], 1):
        add(f"7.7.{i}", 7, f"valid close code {code}: echoed", sends(close_frame(code)), close_code=code)
    for i, code in enumerate([1012, 1013, 1014], 14):
        add(f"7.7.{i}", 7, f"close code {code} (IANA-registered after RFC 6455): echoed",
            sends(close_frame(code)), close_code=code)
    for i, code in enumerate([0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999, 1015], 1):
        add(f"7.9.{i}", 7, f"invalid close code {code}", sends(close_frame(code)), close_code=1002)
    add("7.13.1", 7, "close code 5000", sends(close_frame(5000)), close_code=1002)
    add("7.13.2", 7, "close code 65535", sends(close_frame(65535)), close_code=1002)
    add("7.14.1", 7, "Engine.IO close packet \"1\"", sends(text(b"1")), close_code=1000)

    # ---- 9 limits and large messages (the bound is the server's announced maxPayload)
    m = max_payload
    for i, n in enumerate([65536, 262144, m], 1):
        p = eio(b"*" * (n - 1))
        add(f"9.1.{i}", 9, f"text message of {n} B", sends(text(p)), echo=[("text", p)])
    add("9.1.4", 9, f"text message of {m + 1} B (maxPayload + 1)", sends(text(eio(b"*" * m))), close_code=1009)
    for i, n in enumerate([65536, 262144, m], 1):
        p = b"\xfe" * n
        add(f"9.2.{i}", 9, f"binary message of {n} B", sends(frame(OP_BINARY, p)), echo=[("binary", p)])
    add("9.2.4", 9, f"binary message of {m + 1} B", sends(frame(OP_BINARY, b"\xfe" * (m + 1))), close_code=1009)
    add("9.2.5", 9, "64-bit length 2^62, no payload sent", sends(frame(OP_BINARY, b"", length=1 << 62, len_form=8)),
        close_code=1009)
    add("9.2.6", 9, "64-bit length with the top bit set", sends(frame(OP_BINARY, b"", length=1 << 63, len_form=8)),
        close_code=1002)
    size = 262144
    for i, fs in enumerate([256, 1024, 4096, 16384, 65536, 262144], 1):
        p = b"*" * (size - 1)
        add(f"9.3.{i}", 9, f"text of {size} B in fragments of {fs} B", sends(fragmented(p, fs)),
            echo=[("text", eio(p))])
        bp = b"\xfe" * size
        bf = [frame(OP_BINARY if j == 0 else OP_CONT, bp[j:j + fs], fin=j + fs >= size)
              for j in range(0, size, fs)]
        add(f"9.4.{i}", 9, f"binary of {size} B in fragments of {fs} B", sends(*bf), echo=[("binary", bp)])
    add("9.3.7", 9, "text in 1024 fragments (the fragment bound)", sends(fragmented(b"x" * 1024, 1)),
        echo=[("text", eio(b"x" * 1024))])
    add("9.3.8", 9, "text in 1025 fragments", sends(fragmented(b"x" * 1025, 1)), close_code=1009)
    half = b"\xfe" * (m // 2 + 1)
    add("9.3.9", 9, "two fragments that together pass maxPayload",
        sends(frame(OP_BINARY, half, fin=False), frame(OP_CONT, half)), close_code=1009)
    for i, chop in enumerate([64, 128, 256, 512, 1024, 2048], 1):
        p = eio(b"*" * (size - 1))
        add(f"9.5.{i}", 9, f"text of {size} B, one frame, in {chop}-byte chops", sends(text(p), chop=chop),
            echo=[("text", p)])
        bp = b"\xfe" * size
        add(f"9.6.{i}", 9, f"binary of {size} B, one frame, in {chop}-byte chops",
            sends(frame(OP_BINARY, bp), chop=chop), echo=[("binary", bp)])

    def round_trips(kind, n):
        def run(c):
            for j in range(n):
                p = eio(f"message {j:05}") if kind == "text" else struct.pack("!I", j) * 4
                c.send(text(p) if kind == "text" else frame(OP_BINARY, p))
                ev = c.next_event(c.timeout)
                if ev != (kind, p):
                    c.events.append(ev or ("timeout",))
                    return
            c.events.append((kind, b"all %d" % n))
        return run

    add("9.7.1", 9, "1000 text messages, each echoed before the next", round_trips("text", 1000),
        echo=[("text", b"all 1000")])
    add("9.8.1", 9, "1000 binary messages, each echoed before the next", round_trips("binary", 1000),
        echo=[("binary", b"all 1000")])
    pipe = [eio(f"pipelined {j:05}") for j in range(1000)]
    add("9.7.2", 9, "1000 text messages in one write", sends(*[text(p) for p in pipe]),
        echo=[("text", p) for p in pipe])
    return cases


CATEGORIES = {1: "framing", 2: "ping/pong", 3: "reserved bits", 4: "opcodes", 5: "fragmentation",
              6: "UTF-8", 7: "close", 9: "limits and large messages"}


def write_markdown(path, results):
    cell = lambda s: s.replace("|", "\\|")
    with open(path, "w") as f:
        f.write("# WebSocket conformance: every case\n\n"
                "Written by `tests/conformance/ws_conformance.py --markdown` (ctest `ws_conformance`); "
                "README.md, section Reliability, says how the cases map to Autobahn's and why some "
                "outcomes differ from a raw echo server. Events: `text(n)`/`binary(n)`/`pong(n)` are "
                "what the server sent (n payload bytes, compared byte for byte), `close N` its close "
                "frame, `eof` the end of the TCP stream, `(before the rest)` a close that came before "
                "the client sent the rest of the message.\n\n")
        f.write("| case | category | description | expected | observed | result |\n|---|---|---|---|---|---|\n")
        for c, ok, observed in results:
            f.write(f"| {c.id} | {c.cat} {CATEGORIES[c.cat]} | {cell(c.desc)} | {cell(c.expected_text())} | "
                    f"{cell(observed)} | {'pass' if ok else 'FAIL'} |\n")
        passed = sum(ok for _, ok, _ in results)
        f.write(f"\nTotal: {len(results)} cases, {passed} pass, {len(results) - passed} fail.\n")


def start_server(binary):
    proc = subprocess.Popen([binary, "--address", "127.0.0.1", "--port", "0", "--shards", "1",
                             "--engine-io-path", "/engine.io/", "--quiet"],
                            stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        mt = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        if mt:
            return proc, int(mt.group(1))
    proc.kill()
    sys.exit("roomcastd did not start")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("roomcastd", nargs="?")
    ap.add_argument("--port", type=int)
    ap.add_argument("--only", default="")
    ap.add_argument("--timeout", type=float, default=5.0)
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--markdown")
    a = ap.parse_args()
    if not a.roomcastd and not a.port:
        ap.error("give a roomcastd binary or --port")
    proc = None
    if a.port:
        port = a.port
    else:
        proc, port = start_server(a.roomcastd)
    try:
        probe = Conn(port, a.timeout)
        max_payload = int(probe.open["maxPayload"])
        probe.close()
        cases = [c for c in build_cases(max_payload) if c.id.startswith(a.only)]
        ids = [c.id for c in cases]
        assert len(ids) == len(set(ids)), "duplicate case ids"
        results = []
        width = max(len(c.desc) for c in cases)
        print(f"{'case':8} {'cat':3} {'description':{width}}  {'expected':34} {'observed':34} result")
        for c in cases:
            t0 = time.monotonic()
            ok, observed = run_case(c, port, a.timeout)
            ms = (time.monotonic() - t0) * 1000
            results.append((c, ok, observed))
            exp = c.expected_text()
            exp = exp if len(exp) <= 34 else exp[:31] + "..."
            obs = observed if len(observed) <= 34 or not ok else observed[:31] + "..."
            print(f"{c.id:8} {c.cat:3} {c.desc:{width}}  {exp:34} {obs:34} {'pass' if ok else 'FAIL'}"
                  + (f"  {ms:.0f} ms" if a.verbose else ""))
            if not ok:
                print(f"         expected: {c.expected_text()}\n         observed: {observed}")
        if proc and proc.poll() is not None:
            print(f"roomcastd exited during the run (status {proc.returncode})")
            return 1
        print()
        print(f"{'category':32} {'cases':>5} {'pass':>5} {'fail':>5}")
        for cat, name in CATEGORIES.items():
            rs = [ok for c, ok, _ in results if c.cat == cat]
            if rs:
                print(f"{str(cat) + ' ' + name:32} {len(rs):5} {sum(rs):5} {len(rs) - sum(rs):5}")
        passed = sum(ok for _, ok, _ in results)
        print(f"{'total':32} {len(results):5} {passed:5} {len(results) - passed:5}")
        if a.markdown:
            write_markdown(a.markdown, results)
        if proc and not stop_server(proc):
            return 1
        return 0 if passed == len(results) else 1
    finally:
        if proc and proc.poll() is None:
            proc.kill()


def stop_server(proc):
    """SIGTERM, then roomcastd must exit 0 within 10 s: under ASan a leak or error report
    at exit shows up here rather than passing unseen."""
    proc.terminate()
    try:
        status = proc.wait(10)
    except subprocess.TimeoutExpired:
        print("roomcastd did not exit within 10 s of SIGTERM")
        return False
    if status != 0:
        print(f"roomcastd exited with status {status} after SIGTERM")
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
