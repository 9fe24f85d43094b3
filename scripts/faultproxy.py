"""A TCP proxy on loopback that can fail on demand, for `make faults` (scripts/faults.py).

    proxy = FaultProxy(target_port=5432).start()   # clients connect to proxy.port
    proxy.fail("cut")      # every open connection closed, new ones closed at once
    proxy.fail("http503")  # new connections read, then answered "503 Slow Down" (S3's way)
    proxy.heal()           # new connections reach the target again
    proxy.stop()

It stands for the network between a web or worker process and PostgreSQL or S3: "cut" is a
database server gone away, "http503" an object store refusing every request for a while.
"""

from __future__ import annotations

import contextlib
import socket
import threading

from friends_site.embedded_redis import free_port

S3_SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
)


class FaultProxy:
    """Forwards every connection on 127.0.0.1:`port` to 127.0.0.1:`target_port`, byte for byte,
    until told to fail; counts what it refused."""

    def __init__(self, *, target_port: int):
        self.target_port = target_port
        self.port = free_port()
        self.mode: str | None = None
        self.refused = 0
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(128)
        self._stopped = False

    def start(self) -> FaultProxy:
        threading.Thread(target=self._accept, name="fault-proxy", daemon=True).start()
        return self

    def fail(self, mode: str) -> None:
        assert mode in ("cut", "http503"), mode
        self.mode = mode
        self._close_all()

    def heal(self) -> None:
        self.mode = None

    def stop(self) -> None:
        self._stopped = True
        with contextlib.suppress(OSError):
            self._listener.close()
        self._close_all()

    def _close_all(self) -> None:
        with self._lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            _close(sock)

    def _accept(self) -> None:
        while not self._stopped:
            try:
                client, _address = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        mode = self.mode
        if mode is not None:
            with self._lock:
                self.refused += 1
            if mode == "http503":
                _answer_slow_down(client)
            _close(client)
            return
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
        except OSError:
            _close(client)
            return
        upstream.settimeout(None)
        with self._lock:
            self._open.update((client, upstream))
        threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()
        self._pump(client, upstream)

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.difference_update((source, sink))
            _close(source)
            _close(sink)


def _answer_slow_down(client: socket.socket) -> None:
    """Read the request (its head, and its body unless the client waits for 100-continue), then
    answer 503 as S3 does when it sheds load, and close."""
    client.settimeout(2)
    received = b""
    try:
        while b"\r\n\r\n" not in received:
            chunk = client.recv(65536)
            if not chunk:
                return
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        headers = head.lower()
        if b"expect: 100-continue" not in headers:
            length = 0
            for line in headers.split(b"\r\n"):
                if line.startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1].strip() or 0)
            client.settimeout(0.5)
            while len(body) < length:
                chunk = client.recv(65536)
                if not chunk:
                    break
                body += chunk
    except (OSError, ValueError):
        pass
    with contextlib.suppress(OSError):
        client.sendall(
            b"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\n"
            + f"Content-Length: {len(S3_SLOW_DOWN)}\r\nConnection: close\r\n\r\n".encode()
            + S3_SLOW_DOWN
        )


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
