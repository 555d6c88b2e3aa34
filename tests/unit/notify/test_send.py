"""Sending notices to real receivers on loopback: a webhook (signed), Slack, SMTP with STARTTLS."""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.receivers import SmtpReceiver, WebhookReceiver

from biaswatch.config.notifications import (
    EmailNotification,
    SlackNotification,
    WebhookNotification,
)
from biaswatch.errors import PublishError
from biaswatch.notify import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    EventKind,
    Notice,
    NoticeViolation,
    send,
    slack_message,
)

T = datetime(2026, 11, 26, 10, tzinfo=UTC)
NOTICE = Notice(
    event=EventKind.VIOLATION,
    schedule="churn-bias",
    scheduled_time=T,
    status="CompletedWithViolations",
    attempt=1,
    trigger="scheduled",
    violations=(
        NoticeViolation("post_training", "DPPL", "sex", "0", 0.31, 0.12, "|0.31| > |0.12|"),
        NoticeViolation("pre_training", "CI", "sex", "0", float("inf"), -0.2, "", new=False),
    ),
    execution_id=7,
    link="https://bias.example.com/executions/7",
)
SECRET = "webhook-shared-secret-0123"


def test_a_signed_webhook_gets_the_json_body_and_a_signature_it_can_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HOOK_SECRET", SECRET)
    with WebhookReceiver().running() as receiver:
        send(WebhookNotification(url=receiver.url + "/hook", secret_env="HOOK_SECRET"), NOTICE)
    [request] = receiver.received
    assert request.path == "/hook"
    timestamp = request.headers[TIMESTAMP_HEADER]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256)
    assert request.headers[SIGNATURE_HEADER] == f"sha256={expected.hexdigest()}"
    assert request.headers["X-Biaswatch-Event"] == "violation"
    assert request.headers["Content-Type"] == "application/json"
    body = request.json
    assert body["id"] == "churn-bias/2026-11-26T10:00:00Z/1/violation"
    assert (body["event"], body["schedule"], body["status"]) == (
        "violation", "churn-bias", "CompletedWithViolations",
    )  # fmt: skip
    assert body["scheduled_time"] == "2026-11-26T10:00:00+00:00"
    assert body["violations"][0] == {
        "metric_name": "DPPL",
        "stage": "post_training",
        "facet": "sex",
        "facet_value": "0",
        "value": 0.31,
        "constraint": {"value": 0.12, "rule": "|0.31| > |0.12|"},
        "new": True,
    }
    assert body["violations"][1]["value"] == "Infinity"  # analysis.json's spelling
    assert body["failure_reason"] is None
    assert body["link"] == "https://bias.example.com/executions/7"
    assert Notice.from_json(body) == NOTICE  # what a delivery keeps is what was made


def test_an_unsigned_webhook_has_no_signature_and_a_missing_secret_fails_the_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("HOOK_SECRET", raising=False)
    with WebhookReceiver().running() as receiver:
        send(WebhookNotification(url=receiver.url), NOTICE)
        with pytest.raises(PublishError, match="HOOK_SECRET is not set"):
            send(WebhookNotification(url=receiver.url, secret_env="HOOK_SECRET"), NOTICE)
    [request] = receiver.received  # the signed one was never sent unsigned
    assert SIGNATURE_HEADER not in request.headers


def test_slack_gets_text_and_a_mrkdwn_section_with_the_link() -> None:
    with WebhookReceiver().running() as receiver:
        send(SlackNotification(url=receiver.url + "/services/T0/B0/token"), NOTICE)
    message = receiver.received[0].json
    headline = "churn-bias: more violations at 2026-11-26 10:00 UTC (2 violated metrics)"
    assert message["text"] == headline
    text = message["blocks"][0]["text"]
    assert text["type"] == "mrkdwn"
    assert "• DPPL on sex = 0: 0.31 (constraint 0.12)" in text["text"]
    assert "• CI on sex = 0: ∞ (constraint -0.2), as before" in text["text"]
    assert text["text"].endswith("<https://bias.example.com/executions/7|Open the execution>")


@pytest.mark.parametrize("status", [404, 500, 503])
def test_a_receiver_that_answers_an_error_fails_the_send_with_its_answer(status: int) -> None:
    with WebhookReceiver(answers=[status]).running() as receiver:
        hook = WebhookNotification(url=receiver.url + "/hook/abc?token=s3cr3t")
        with pytest.raises(PublishError) as raised:
            send(hook, NOTICE)
    message = str(raised.value)
    assert f"answered HTTP {status}" in message
    assert "receiver is down" in message
    assert "s3cr3t" not in message
    assert "/abc" not in message


def test_a_receiver_that_does_not_answer_fails_within_the_timeout() -> None:
    with WebhookReceiver(delay=5).running() as receiver:
        began = time.monotonic()
        with pytest.raises(PublishError, match="did not answer in time"):
            send(WebhookNotification(url=receiver.url), NOTICE, timeout=0.5)
        assert time.monotonic() - began < 2.5


def test_a_receiver_that_is_not_there_fails_the_send() -> None:
    with WebhookReceiver().running() as receiver:
        url = receiver.url
    with pytest.raises(PublishError, match="could not be reached"):
        send(WebhookNotification(url=url), NOTICE, timeout=1)


def _email(receiver: SmtpReceiver, **changes: object) -> EmailNotification:
    fields: dict[str, object] = {
        "to": ("ops@example.com", "ml@example.com"),
        "host": "127.0.0.1",
        "port": receiver.port,
        "sender": "biaswatch@example.com",
    }
    return EmailNotification(**(fields | changes))


def test_email_goes_over_starttls_with_the_login_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIASWATCH_SMTP_USERNAME", "alerts")
    monkeypatch.setenv("BIASWATCH_SMTP_PASSWORD", "smtp-password-42")
    with SmtpReceiver(tmp_path, login=("alerts", "smtp-password-42")).running() as server:
        assert server.certificate is not None
        monkeypatch.setenv("SSL_CERT_FILE", str(server.certificate))
        send(_email(server), NOTICE)
    [message] = server.messages
    assert server.logins == ["alerts"]
    assert message["Subject"] == (
        "[biaswatch] churn-bias: more violations at 2026-11-26 10:00 UTC (2 violated metrics)"
    )
    assert message["To"] == "ops@example.com, ml@example.com"
    assert message["From"] == "biaswatch@example.com"
    assert message["X-Biaswatch-Event"] == "violation"
    text = message.get_content()
    assert "• DPPL on sex = 0: 0.31 (constraint 0.12)" in text
    assert "Details: https://bias.example.com/executions/7" in text


def test_a_wrong_login_fails_the_send_without_the_password_in_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BIASWATCH_SMTP_USERNAME", "alerts")
    monkeypatch.setenv("BIASWATCH_SMTP_PASSWORD", "wrong-password-99")
    with SmtpReceiver(tmp_path, login=("alerts", "smtp-password-42")).running() as server:
        assert server.certificate is not None
        monkeypatch.setenv("SSL_CERT_FILE", str(server.certificate))
        with pytest.raises(PublishError, match="refused the login of BIASWATCH_SMTP") as raised:
            send(_email(server), NOTICE)
    assert server.messages == []
    assert "wrong-password-99" not in str(raised.value)


def test_an_untrusted_certificate_fails_the_send(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BIASWATCH_SMTP_USERNAME", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "none.pem"))
    with (
        SmtpReceiver(tmp_path).running() as server,
        pytest.raises(PublishError, match=r"TLS failed: CERTIFICATE_VERIFY_FAILED"),
    ):
        send(_email(server), NOTICE)
    assert server.messages == []


def test_a_server_without_starttls_is_refused_unless_starttls_is_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BIASWATCH_SMTP_USERNAME", raising=False)
    with SmtpReceiver(tmp_path, starttls=False).running() as server:
        with pytest.raises(PublishError, match="does not offer STARTTLS"):
            send(_email(server), NOTICE)
        send(_email(server, starttls=False), NOTICE)
        # A login is never sent in clear.
        monkeypatch.setenv("BIASWATCH_SMTP_USERNAME", "alerts")
        with pytest.raises(PublishError, match="never sent unencrypted"):
            send(_email(server, starttls=False), NOTICE)
    assert len(server.messages) == 1


def test_an_email_the_server_refuses_fails_with_its_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BIASWATCH_SMTP_USERNAME", raising=False)
    refusing = SmtpReceiver(tmp_path, starttls=False, data_answer="554 5.7.1 rejected as spam")
    with refusing.running() as server:
        with pytest.raises(PublishError, match=r"SMTP 554 5\.7\.1 rejected as spam"):
            send(_email(server, starttls=False), NOTICE)
        port = server.port
    with pytest.raises(PublishError, match="ConnectionRefusedError"):
        send(_email(server, port=port, starttls=False), NOTICE, timeout=1)


def test_a_test_notice_and_undefined_values_read_plainly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BIASWATCH_SMTP_USERNAME", raising=False)
    test = Notice(EventKind.TEST, "churn-bias", T, "Test", 0, "manual")
    undefined = NoticeViolation("post_training", "DI", "sex", "0", None, float("nan"))
    assert undefined.line() == "DI on sex = 0: undefined (constraint undefined)"
    assert undefined.to_json()["value"] is None
    assert undefined.to_json()["constraint"]["value"] is None
    falling = NoticeViolation("pre_training", "CI", "sex", "0", -float("inf"), 0.2)
    assert NoticeViolation.from_json(falling.to_json()) == falling
    with SmtpReceiver(tmp_path, starttls=False).running() as server:
        send(_email(server, starttls=False), test)
    [message] = server.messages
    assert message["Subject"] == "[biaswatch] churn-bias: a test notification from biaswatch"
    assert "Status:" not in message.get_content()


@pytest.mark.parametrize(
    ("changes", "headline", "last"),
    [
        ({}, "churn-bias: more violations at 2026-11-26 10:00 UTC (2 violated metrics)", None),
        (
            {"event": EventKind.RESOLVED, "violations": (), "link": None, "output_uri": "/o"},
            "churn-bias: no violations at 2026-11-26 10:00 UTC; the violations ended",
            "Outputs: /o",
        ),
        (
            {"event": EventKind.FAILED, "violations": (), "failure_reason": "no labels"},
            "churn-bias: the execution at 2026-11-26 10:00 UTC failed",
            "Details: https://bias.example.com/executions/7",
        ),
        (
            {"event": EventKind.REVISED, "attempt": 2, "trigger": "late-ground-truth",
             "previous_status": "Completed"},
            "churn-bias: the execution at 2026-11-26 10:00 UTC was revised by attempt 2"
            " (late-ground-truth): Completed → CompletedWithViolations",
            None,
        ),
        (
            {"event": EventKind.LIVE_VIOLATION, "trigger": "live", "endpoint": "churn",
             "window": 15, "execution_id": None, "link": "https://bias.example.com/live"},
            "churn-bias: more live violations on endpoint churn over the last 15 minutes at"
            " 2026-11-26 10:00 UTC (2 violated metrics)",
            "Details: https://bias.example.com/live",
        ),
        (
            {"event": EventKind.LIVE_VIOLATION, "violations": NOTICE.violations[:1],
             "endpoint": "churn", "window": 5, "link": "https://bias.example.com/live"},
            "churn-bias: live bias violates the baseline on endpoint churn over the last 5"
            " minutes at 2026-11-26 10:00 UTC (1 violated metric)",
            "Details: https://bias.example.com/live",
        ),
        (
            {"event": EventKind.LIVE_RESOLVED, "violations": (), "endpoint": "churn",
             "window": 5},
            "churn-bias: live bias on endpoint churn within the baseline again at 2026-11-26"
            " 10:00 UTC (no live violation for 5 minutes)",
            None,
        ),
    ],
)  # fmt: skip
def test_each_event_reads_as_one_headline(
    changes: dict[str, object], headline: str, last: str | None
) -> None:
    notice = replace(NOTICE, **changes)  # type: ignore[arg-type]
    assert notice.headline() == headline
    if last is not None:
        assert notice.lines()[-1] == last
    if notice.link is None:  # Slack shows the lines as they are
        assert slack_message(notice)["blocks"] == [
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*\nOutputs: /o"}}
        ]
    if notice.failure_reason:
        assert "Reason: no labels" in notice.lines()
    assert Notice.from_json(notice.to_json()) == notice  # as a delivery keeps it
    first = replace(NOTICE, violations=NOTICE.violations[:1])
    assert first.headline() == (
        "churn-bias: bias violations began at 2026-11-26 10:00 UTC (1 violated metric)"
    )
