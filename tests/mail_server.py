"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port), and what it received.

Use the `smtp_server` fixture (import it into the test module) and give the app
`MAIL_URL=smtp_server.url`; `smtp_server.messages` are the emails received, parsed.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller


class MailServer:
    """Collects every message the server accepts, in order."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.connections = 0
        self._lock = threading.Lock()
        self.url = ""

    async def handle_EHLO(
        self, _server: Any, session: Any, _envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        with self._lock:
            self.connections += 1  # every client greets once per connection
        return responses

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.messages if str(m["To"]) == address]

    def subjects(self) -> list[tuple[str, str]]:
        """(to, subject) of every message, in order received."""
        with self._lock:
            # Unfolded long subjects keep the fold's leading space: not part of the text.
            return [(str(m["To"]), str(m["Subject"]).strip()) for m in self.messages]

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()
            self.envelopes.clear()
            self.connections = 0


def body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    # SMTP carries CRLF line ends; tests compare with the "\n" the app wrote.
    return str(part.get_content()).replace("\r\n", "\n")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp_server() -> Iterator[MailServer]:
    server = MailServer()
    port = _free_port()
    controller = Controller(server, hostname="127.0.0.1", port=port)
    controller.start()  # returns once the server answers
    server.url = f"smtp://127.0.0.1:{port}"
    try:
        yield server
    finally:
        controller.stop()
