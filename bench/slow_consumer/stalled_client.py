#!/usr/bin/env python3
"""A Socket.IO client that joins a room and then never reads: the slow consumer.

Connects over WebSocket (Engine.IO v4), CONNECTs to "/", joins ROOM, then holds the socket
open without reading for SECONDS. Its receive buffer is made small before connecting so the
server's per-connection queue, not the kernel, takes the backlog. Prints how it ended:
"reset" (the server cut it with a TCP reset), "fin", or "open" (still connected).
"""
import base64
import os
import socket
import struct
import sys
import time


def frame(text: str) -> bytes:
    data = text.encode()
    mask = os.urandom(4)
    head = bytes([0x81])
    n = len(data)
    if n < 126:
        head += bytes([0x80 | n])
    else:
        head += bytes([0x80 | 126]) + struct.pack(">H", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def main() -> int:
    port, room, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: x\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
    buf = b""
    while b"431[" not in buf:  # upgrade, open, CONNECT ok, then the join ack
        chunk = s.recv(4096)
        if not chunk:
            print("closed during set-up")
            return 1
        buf += chunk
        if b"\r\n\r\n" in buf and b"0{" in buf and b"40{" not in buf and not getattr(main, "sent", False):
            s.sendall(frame("40"))
            main.sent = True
        if b"40{" in buf and not getattr(main, "joined", False):
            s.sendall(frame('421["join","%s"]' % room))
            main.joined = True
    print("joined; not reading", flush=True)
    time.sleep(seconds)
    s.setblocking(False)
    try:
        while True:
            if not s.recv(1 << 20):
                print("fin")
                return 0
    except BlockingIOError:
        print("open")
    except ConnectionResetError:
        print("reset")
    return 0


if __name__ == "__main__":
    sys.exit(main())
