"""Where a schedule's notifications go: a JSON webhook, a Slack incoming webhook, or email.

A schedule keeps a list of these (``notifications=`` of ``create_monitoring_schedule``,
``--notify`` of ``biaswatch schedules create``). Each is given as an object, a mapping with a
``type``, or a string:

- ``https://…`` (or ``http://…``): a JSON webhook; ``https://hooks.slack.com/…`` and
  ``slack+https://…``: a Slack incoming webhook;
- ``mailto:a@example.com,b@example.com``: email through the SMTP server of
  ``$BIASWATCH_SMTP_HOST`` (``…_PORT``, default 587; ``…_STARTTLS``, default on; ``…_FROM``),
  read when the notification is made and kept with it;
- ``{"type": "webhook", …}``: a JSON object (what ``--notify`` takes for the other fields).

No secret is kept with a schedule: a webhook's signing secret and the SMTP credentials are read
from environment variables when a message is sent, and the schedule keeps only their names.
:attr:`target` shows a notification without anything secret (a URL without its path's tokens
or its query), for logs, delivery records and pages.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import orjson
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from biaswatch.errors import ConfigError

__all__ = [
    "SMTP_FROM_VARIABLE",
    "SMTP_HOST_VARIABLE",
    "SMTP_PASSWORD_VARIABLE",
    "SMTP_PORT_VARIABLE",
    "SMTP_STARTTLS_VARIABLE",
    "SMTP_USERNAME_VARIABLE",
    "EmailNotification",
    "Notification",
    "SlackNotification",
    "WebhookNotification",
    "parse_notification",
    "parse_notifications",
]

SMTP_HOST_VARIABLE = "BIASWATCH_SMTP_HOST"
SMTP_PORT_VARIABLE = "BIASWATCH_SMTP_PORT"
SMTP_STARTTLS_VARIABLE = "BIASWATCH_SMTP_STARTTLS"
SMTP_FROM_VARIABLE = "BIASWATCH_SMTP_FROM"
SMTP_USERNAME_VARIABLE = "BIASWATCH_SMTP_USERNAME"
SMTP_PASSWORD_VARIABLE = "BIASWATCH_SMTP_PASSWORD"

_VARIABLE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")
_SLACK_PREFIX = "slack+"
_SLACK_HOST = "hooks.slack.com"


def _http_url(url: str, field: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{field} {url!r} is not an http(s) URL with a host")
    return url


def _shown_url(url: str) -> str:
    """``url`` without what may be secret: user info, the path after its first part, the query.

    Examples
    --------
    >>> _shown_url("https://hooks.slack.com/services/T0/B0/XYZ")
    'https://hooks.slack.com/services/…'
    >>> _shown_url("http://user:pw@127.0.0.1:8080/hook?token=1")
    'http://127.0.0.1:8080/hook?…'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    first, _, rest = parts.path.lstrip("/").partition("/")
    path = f"/{first}" + ("/…" if rest else "") if first else ""
    return f"{parts.scheme}://{netloc}{path}" + ("?…" if parts.query else "")


def _variable(name: str | None) -> str | None:
    if name is not None and not _VARIABLE.match(name):
        raise ValueError(f"{name!r} is not an environment variable's name")
    return name


class _Notification(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _WebReceiver(_Notification):
    """A receiver at an http(s) URL, shown without what may be secret in it."""

    type: str
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, url: str) -> str:
        return _http_url(url, "url")

    @property
    def target(self) -> str:
        """The receiver, without secrets (a Slack URL's path is its token)."""
        return f"{self.type} {_shown_url(self.url)}"


class WebhookNotification(_WebReceiver):
    """A JSON ``POST`` of each event; signed with HMAC-SHA256 when ``secret_env`` is set.

    The signature is ``X-Biaswatch-Signature: sha256=<hex>`` over ``<timestamp>.<body>``, the
    timestamp being ``X-Biaswatch-Timestamp`` (Unix seconds); the secret is the value of the
    environment variable ``secret_env`` in the process that sends.
    """

    type: Literal["webhook"] = "webhook"
    secret_env: str | None = None

    @field_validator("secret_env")
    @classmethod
    def _secret(cls, name: str | None) -> str | None:
        return _variable(name)


class SlackNotification(_WebReceiver):
    """A Slack incoming webhook (or anything that takes Slack's message): text and blocks."""

    type: Literal["slack"] = "slack"


class EmailNotification(_Notification):
    """Email to ``to`` through the SMTP server at ``host:port``.

    With ``starttls`` (the default) the connection is encrypted before anything else is sent,
    and the server's certificate is verified. The login, if any, is the values of the
    environment variables ``username_env`` and ``password_env`` in the process that sends; it
    is never sent without STARTTLS.
    """

    type: Literal["email"] = "email"
    to: tuple[str, ...] = Field(min_length=1)
    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    sender: str = Field(default_factory=lambda: f"biaswatch@{socket.gethostname()}")
    username_env: str = SMTP_USERNAME_VARIABLE
    password_env: str = SMTP_PASSWORD_VARIABLE

    @field_validator("to")
    @classmethod
    def _addresses(cls, to: tuple[str, ...]) -> tuple[str, ...]:
        for address in to:
            if not _ADDRESS.match(address):
                raise ValueError(f"{address!r} is not an email address")
        return to

    @field_validator("sender")
    @classmethod
    def _sender(cls, sender: str) -> str:
        if not _ADDRESS.match(sender):
            raise ValueError(f"sender {sender!r} is not an email address")
        return sender

    @field_validator("username_env", "password_env")
    @classmethod
    def _credentials(cls, name: str) -> str:
        _variable(name)
        return name

    @property
    def target(self) -> str:
        """The recipients and the server."""
        return f"email {', '.join(self.to)} via {self.host}:{self.port}"


Notification = Annotated[
    WebhookNotification | SlackNotification | EmailNotification, Field(discriminator="type")
]
_NOTIFICATION: TypeAdapter[WebhookNotification | SlackNotification | EmailNotification]
_NOTIFICATION = TypeAdapter(Notification)


def parse_notification(
    given: object, *, field: str = "notifications"
) -> WebhookNotification | SlackNotification | EmailNotification:
    """One notification from an object, a mapping or a string (module docstring).

    A config error names ``field`` and the value when it is none of these.
    """
    if isinstance(given, WebhookNotification | SlackNotification | EmailNotification):
        return given
    try:
        if isinstance(given, str):
            return _from_text(given.strip(), field)
        if isinstance(given, Mapping):
            document = dict(given)
            document.setdefault("type", "email" if "to" in document else "webhook")
            return _NOTIFICATION.validate_python(document)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'][1:]) or 'value'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(
            f"{field} {given!r} is not a notification: {problems}", field=field, value=given
        ) from None
    raise ConfigError(
        f"{field} {given!r} is not a notification: give a webhook URL, a mailto: address, or"
        " a mapping with a type (webhook, slack, email)",
        field=field,
        value=given,
    )


def parse_notifications(
    given: object, *, field: str = "notifications"
) -> tuple[WebhookNotification | SlackNotification | EmailNotification, ...]:
    """A schedule's notifications from a list of them (or one); None gives none."""
    if given is None:
        return ()
    items = list(given) if isinstance(given, list | tuple) else [given]
    return tuple(parse_notification(item, field=field) for item in items)


def _from_text(
    text: str, field: str
) -> WebhookNotification | SlackNotification | EmailNotification:
    if text.startswith("{"):
        try:
            document = orjson.loads(text)  # a JSON text that begins with { is an object
        except orjson.JSONDecodeError as exc:
            raise ConfigError(
                f"{field} {text!r} is not a JSON object: {exc}", field=field, value=text
            ) from None
        return parse_notification(document, field=field)
    if text.startswith("mailto:"):
        return _email(text, field)
    if text.startswith(_SLACK_PREFIX):
        return SlackNotification(url=text.removeprefix(_SLACK_PREFIX))
    if urlsplit(text).hostname == _SLACK_HOST:
        return SlackNotification(url=text)
    if text.startswith(("http://", "https://")):
        return WebhookNotification(url=text)
    raise ConfigError(
        f"{field} {text!r} is not a notification: give an http(s) webhook URL, a Slack webhook"
        " URL (https://hooks.slack.com/…), mailto:ADDRESS, or a JSON object",
        field=field,
        value=text,
    )


def _email(text: str, field: str) -> EmailNotification:
    """``mailto:a@x,b@y`` with the SMTP server of this process's environment."""
    to = tuple(a.strip() for a in text.removeprefix("mailto:").split(",") if a.strip())
    host = os.environ.get(SMTP_HOST_VARIABLE, "").strip()
    if not host:
        raise ConfigError(
            f"{field} {text!r} sends email, but {SMTP_HOST_VARIABLE} is not set: set it (and"
            f" {SMTP_PORT_VARIABLE}, {SMTP_FROM_VARIABLE}) to your SMTP server, or give the"
            ' notification as an object: {"type": "email", "to": [...], "host": ...}',
            field=field,
            value=text,
        )
    fields: dict[str, Any] = {"to": to, "host": host}
    port = os.environ.get(SMTP_PORT_VARIABLE, "").strip()
    if port:
        if not port.isdigit():
            raise ConfigError(
                f"{SMTP_PORT_VARIABLE}={port!r} is not a port number",
                field=SMTP_PORT_VARIABLE,
                value=port,
            )
        fields["port"] = int(port)
    starttls = os.environ.get(SMTP_STARTTLS_VARIABLE, "").strip().lower()
    if starttls:
        if starttls not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            raise ConfigError(
                f"{SMTP_STARTTLS_VARIABLE}={starttls!r} is not true or false",
                field=SMTP_STARTTLS_VARIABLE,
                value=starttls,
            )
        fields["starttls"] = starttls in ("true", "1", "yes", "on")
    sender = os.environ.get(SMTP_FROM_VARIABLE, "").strip()
    if sender:
        fields["sender"] = sender
    return EmailNotification(**fields)
