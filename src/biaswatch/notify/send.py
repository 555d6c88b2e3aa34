"""Sending a notice to one receiver: a JSON webhook, a Slack incoming webhook, or email.

Each send is one try, bounded by ``timeout`` seconds per network operation; a failure raises
:class:`~biaswatch.errors.PublishError` whose message names the receiver without secrets (the
receiver's :attr:`target`) and says what went wrong. Secrets (a signing secret, the SMTP login)
are read from the environment here, and never put in a message.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import smtplib
import ssl
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from email.utils import make_msgid

import orjson

from biaswatch import __version__
from biaswatch.config.notifications import (
    EmailNotification,
    SlackNotification,
    WebhookNotification,
)
from biaswatch.errors import PublishError
from biaswatch.notify.notice import EventKind, Notice

__all__ = [
    "EVENT_HEADER",
    "ID_HEADER",
    "SIGNATURE_HEADER",
    "TIMEOUT",
    "TIMESTAMP_HEADER",
    "email_message",
    "send",
    "signature",
    "slack_message",
]

#: Seconds each network operation of a send may take.
TIMEOUT = 5.0
SIGNATURE_HEADER = "X-Biaswatch-Signature"
TIMESTAMP_HEADER = "X-Biaswatch-Timestamp"
EVENT_HEADER = "X-Biaswatch-Event"
ID_HEADER = "X-Biaswatch-Id"
_USER_AGENT = f"biaswatch/{__version__}"
_ANSWER_SHOWN = 200


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>``: HMAC-SHA256 of ``<timestamp>.<body>`` with the shared secret.

    Examples
    --------
    >>> signature(b"s3cret", "1764151200", b"{}")[:15]
    'sha256=03404ede'
    """
    digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def send(
    receiver: WebhookNotification | SlackNotification | EmailNotification,
    notice: Notice,
    *,
    timeout: float = TIMEOUT,
) -> None:
    """Send ``notice`` to ``receiver`` (one try); :class:`PublishError` when it fails."""
    if isinstance(receiver, EmailNotification):
        _send_email(receiver, notice, timeout)
    elif isinstance(receiver, SlackNotification):
        _post(receiver.url, receiver.target, orjson.dumps(slack_message(notice)), {}, timeout)
    else:
        body = orjson.dumps(notice.to_json())
        headers = {EVENT_HEADER: notice.event.value, ID_HEADER: notice.id}
        if receiver.secret_env is not None:
            secret = os.environ.get(receiver.secret_env)
            if not secret:
                raise PublishError(
                    f"{receiver.target}: the signing secret's variable {receiver.secret_env}"
                    " is not set in the environment of the process that sends (the scheduler)"
                )
            timestamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = signature(secret.encode(), timestamp, body)
        _post(receiver.url, receiver.target, body, headers, timeout)


def _post(url: str, target: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "User-Agent": _USER_AGENT} | headers,
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read()
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:_ANSWER_SHOWN].decode("utf-8", "replace").strip()
        raise PublishError(
            f"{target} answered HTTP {exc.code} {exc.reason}" + (f": {detail}" if detail else "")
        ) from None
    except urllib.error.URLError as exc:
        raise PublishError(f"{target} could not be reached: {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        raise PublishError(f"{target} did not answer in time ({timeout:g} s): {exc}") from None


def slack_message(notice: Notice) -> dict[str, object]:
    """Slack's incoming-webhook message: a fallback ``text`` and a section of mrkdwn."""
    lines = notice.lines()
    if notice.link:  # Slack's link markup instead of the bare URL
        page = "the live panel" if notice.live else "the execution"
        lines[-1] = f"<{notice.link}|Open {page}>"
    text = "\n".join([f"*{notice.headline()}*", *lines])
    return {
        "text": notice.headline(),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
    }


def email_message(receiver: EmailNotification, notice: Notice) -> EmailMessage:
    """The email: the headline as subject, the details as plain text."""
    message = EmailMessage()
    message["Subject"] = f"[biaswatch] {notice.headline()}"
    message["From"] = receiver.sender
    message["To"] = ", ".join(receiver.to)
    message["Message-ID"] = make_msgid(domain=receiver.sender.partition("@")[2] or None)
    message[EVENT_HEADER] = notice.event.value
    message[ID_HEADER] = notice.id
    body = [notice.headline(), "", *notice.lines()]
    if notice.live:
        body += ["", f"Live window: the last {notice.window} minutes of traffic"]
    elif notice.event != EventKind.TEST:
        body += ["", f"Status: {notice.status} (attempt {notice.attempt}, {notice.trigger})"]
    message.set_content("\n".join(body) + "\n")
    return message


def _send_email(receiver: EmailNotification, notice: Notice, timeout: float) -> None:
    username = os.environ.get(receiver.username_env) or None
    password = os.environ.get(receiver.password_env) or ""
    if username is not None and not receiver.starttls:
        raise PublishError(
            f"{receiver.target}: {receiver.username_env} is set but STARTTLS is off; the login"
            " is never sent unencrypted (turn starttls on, or unset the variable)"
        )
    try:
        with smtplib.SMTP(receiver.host, receiver.port, timeout=timeout) as smtp:
            smtp.ehlo()
            if receiver.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if username is not None:
                smtp.login(username, password)
            smtp.send_message(email_message(receiver, notice))
    except smtplib.SMTPNotSupportedError:
        raise PublishError(
            f"{receiver.target}: the server does not offer STARTTLS (set starttls false only"
            " for a server on a trusted network)"
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise PublishError(
            f"{receiver.target}: the server refused the login of {receiver.username_env}"
            f" (SMTP {exc.smtp_code})"
        ) from None
    except smtplib.SMTPResponseException as exc:
        error = exc.smtp_error  # bytes from smtplib; str when another library raised it
        answer = error.decode("utf-8", "replace") if isinstance(error, bytes) else error
        raise PublishError(f"{receiver.target}: SMTP {exc.smtp_code} {answer}") from None
    except ssl.SSLError as exc:
        raise PublishError(f"{receiver.target}: TLS failed: {exc.reason or exc}") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise PublishError(f"{receiver.target}: {type(exc).__name__}: {exc}") from None
