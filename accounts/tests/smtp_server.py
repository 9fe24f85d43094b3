"""A real SMTP server on 127.0.0.1 that can be slow, for tests and benchmarks.

    with SMTPServer(delay=3) as smtp:      # takes 3 s to accept each message
        ... EMAIL_URL=smtp.url ...
        smtp.wait_for(1)                   # messages accepted so far, as email.message objects

A message counts as received only once the server answered "250" to it: a client that goes
away during the delay (a killed worker) has sent nothing, as with a real mail server.
Also runnable by hand: `python -m accounts.tests.smtp_server --port 1025 --delay 3`.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import threading
import time
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from friends_site.embedded_redis import free_port


class _Handler:
    def __init__(self, server: SMTPServer):
        self.server = server

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options) -> str:
        with self.server.lock:
            self.server.rcpt_attempts += 1
            if self.server.rcpt_refusals:
                return self.server.rcpt_refusals.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope) -> str:
        self.server.connections_in_data += 1
        if self.server.delay:
            await asyncio.sleep(self.server.delay)  # cancelled when the client disconnects
        with self.server.lock:
            if self.server.refusals:
                return self.server.refusals.pop(0)
        message = email.message_from_bytes(envelope.original_content, policy=policy.default)
        with self.server.lock:
            self.server.messages.append(message)
        return "250 Message accepted for delivery"


class SMTPServer:
    """An aiosmtpd server in a thread; `messages` holds what it accepted."""

    def __init__(
        self,
        *,
        delay: float = 0.0,
        port: int | None = None,
        refusals: list[str] | None = None,
        rcpt_refusals: list[str] | None = None,
    ):
        self.delay = delay
        # Replies to give the next messages instead of accepting them, e.g. "451 Try later".
        self.refusals = list(refusals or [])
        # Replies to give the next RCPT TO commands instead of "250", e.g. a greylisting
        # server's "451 4.7.1 Greylisted, try again later".
        self.rcpt_refusals = list(rcpt_refusals or [])
        self.rcpt_attempts = 0
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.connections_in_data = 0
        self.lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        """An EMAIL_URL for Django (plain SMTP, no authentication)."""
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> SMTPServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> SMTPServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[EmailMessage]:
        """Wait until at least `count` messages arrived (or the timeout); return them all."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    break
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds before each 250")
    args = parser.parse_args()
    with SMTPServer(delay=args.delay, port=args.port) as server:
        print(f"SMTP on {server.url} (delay {args.delay} s); Ctrl-C stops it.", flush=True)
        seen = 0
        try:
            while True:
                messages = server.wait_for(seen + 1, timeout=1)
                for message in messages[seen:]:
                    print(
                        f"{message['Date']}  to {message['To']}: {message['Subject']}", flush=True
                    )
                seen = len(messages)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
