"""Real receivers on loopback for notifications: an HTTP server and an SMTP server (aiosmtpd).

:class:`WebhookReceiver` records every POST and answers with the statuses it is given (then
200), optionally after a delay; :class:`SmtpReceiver` is aiosmtpd with STARTTLS (a certificate
made here for 127.0.0.1, trusted through ``SSL_CERT_FILE``) and a login it checks.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class WebhookReceiver:
    """An HTTP server on 127.0.0.1 that records POSTs; ``answers`` are the statuses to give."""

    answers: list[int] = field(default_factory=list)
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    url: str = ""

    @contextmanager
    def running(self) -> Iterator[WebhookReceiver]:
        receiver = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with lock:
                    receiver.received.append(Received(self.path, dict(self.headers), body))
                    status = receiver.answers.pop(0) if receiver.answers else 200
                if receiver.delay:
                    time.sleep(receiver.delay)
                answer = b"ok" if status < 400 else b"receiver is down"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:  # the sender gave up waiting
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()

    def events(self) -> list[str]:
        return [r.json["event"] for r in self.received]


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1 and localhost (the certificate is its own CA)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp.pem", folder / "smtp.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class SmtpReceiver:
    """aiosmtpd on 127.0.0.1: STARTTLS when given a certificate, a login when given one."""

    folder: Path
    starttls: bool = True
    login: tuple[str, str] | None = None
    data_answer: str = "250 Message accepted for delivery"
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    port: int = 0
    certificate: Path | None = None

    @contextmanager
    def running(self) -> Iterator[SmtpReceiver]:
        import ssl

        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                if not receiver.data_answer.startswith("250"):
                    return receiver.data_answer
                message = message_from_bytes(envelope.content, policy=default)
                assert isinstance(message, EmailMessage)
                receiver.messages.append(message)
                return receiver.data_answer

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any):  # type: ignore[no-untyped-def]
            if isinstance(data, LoginPassword) and receiver.login is not None:
                user, password = data.login.decode(), data.password.decode()
                receiver.logins.append(user)
                return AuthResult(success=(user, password) == receiver.login, handled=False)
            return AuthResult(success=False, handled=False)

        context = None
        if self.starttls:
            self.certificate, key = self_signed(self.folder)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.certificate, key)
        with socket.socket() as probe:  # aiosmtpd needs the port before it starts
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        controller = Controller(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=self.starttls,
            authenticator=authenticate if self.login is not None else None,
            auth_required=self.login is not None,
            auth_require_tls=True,
        )
        controller.start()
        try:
            yield self
        finally:
            controller.stop()
