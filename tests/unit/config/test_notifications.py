"""Notification receivers: what strings, mappings and objects mean; bad ones fail at once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from biaswatch.config.monitor import EndpointInputDefinition, MonitoringJobDefinition
from biaswatch.config.notifications import (
    EmailNotification,
    SlackNotification,
    WebhookNotification,
    parse_notification,
    parse_notifications,
)
from biaswatch.config.settings import base_url
from biaswatch.errors import ConfigError


def test_strings_name_their_receiver(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIASWATCH_SMTP_HOST", "smtp.example.com")
    monkeypatch.setenv("BIASWATCH_SMTP_PORT", "2525")
    monkeypatch.setenv("BIASWATCH_SMTP_STARTTLS", "false")
    monkeypatch.setenv("BIASWATCH_SMTP_FROM", "bias@example.com")
    assert parse_notification("https://hooks.example.com/bias") == WebhookNotification(
        url="https://hooks.example.com/bias"
    )
    assert parse_notification("https://hooks.slack.com/services/T/B/x") == SlackNotification(
        url="https://hooks.slack.com/services/T/B/x"
    )
    assert parse_notification("slack+http://127.0.0.1:9/x") == SlackNotification(
        url="http://127.0.0.1:9/x"
    )
    assert parse_notification("mailto:a@example.com, b@example.com") == EmailNotification(
        to=("a@example.com", "b@example.com"),
        host="smtp.example.com",
        port=2525,
        starttls=False,
        sender="bias@example.com",
    )
    assert parse_notification('{"url": "http://127.0.0.1/h", "secret_env": "S"}') == (
        WebhookNotification(url="http://127.0.0.1/h", secret_env="S")
    )
    assert parse_notification({"to": ["x@example.com"], "host": "mail"}).type == "email"


def test_a_schedule_keeps_its_receivers_as_json_without_secrets() -> None:
    definition = MonitoringJobDefinition(
        schedule_name="s",
        endpoint_input=EndpointInputDefinition(endpoint_name="ep", capture_uri="/c"),
        ground_truth_uri="/g",
        output_uri="/o",
        analysis_config={},
        notifications=["https://h.example.com/x", {"type": "slack", "url": "https://s/x"}],
    )
    stored = definition.model_dump(mode="json")
    assert stored["notifications"] == [
        {"type": "webhook", "url": "https://h.example.com/x", "secret_env": None},
        {"type": "slack", "url": "https://s/x"},
    ]
    assert MonitoringJobDefinition.model_validate(stored) == definition
    assert parse_notifications(None) == ()
    assert parse_notifications("https://h/x") == (WebhookNotification(url="https://h/x"),)


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("ftp://example.com/x", "is not a notification"),
        ("hooks.example.com/x", "is not a notification"),
        ("https:///nohost", "is not an http(s) URL with a host"),
        ({"type": "pager", "url": "https://x"}, "does not match any of the expected tags"),
        ({"url": "https://x", "secret_env": "NOT A NAME"}, "is not an environment variable"),
        ({"url": "https://x", "token": "t"}, "Extra inputs are not permitted"),
        ({"type": "email", "to": ["not-an-address"], "host": "h"}, "is not an email address"),
        ({"type": "email", "to": [], "host": "h"}, "at least 1 item"),
        ({"type": "email", "to": ["a@b.c"], "host": "h", "port": 0}, "greater than or equal"),
        ("{not json", "is not a JSON object"),
        ("[1]", "is not a notification"),
        (42, "is not a notification"),
    ],
)
def test_a_bad_receiver_fails_naming_the_field_and_the_value(given: object, words: str) -> None:
    with pytest.raises(ConfigError, match="--notify") as raised:
        parse_notification(given, field="--notify")
    assert words in str(raised.value)
    assert raised.value.field == "--notify"
    assert raised.value.value == given


def test_mailto_needs_an_smtp_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIASWATCH_SMTP_HOST", raising=False)
    with pytest.raises(ConfigError, match="BIASWATCH_SMTP_HOST is not set"):
        parse_notification("mailto:a@example.com")
    monkeypatch.setenv("BIASWATCH_SMTP_HOST", "mail")
    monkeypatch.setenv("BIASWATCH_SMTP_PORT", "twenty-five")
    with pytest.raises(ConfigError, match="is not a port number") as raised:
        parse_notification("mailto:a@example.com")
    assert raised.value.field == "BIASWATCH_SMTP_PORT"


def test_targets_show_the_receiver_without_its_secrets() -> None:
    assert (
        parse_notification("https://hooks.slack.com/services/T00/B00/XXXX").target
        == "slack https://hooks.slack.com/services/…"
    )
    assert (
        parse_notification("http://user:pw@127.0.0.1:8080/hook?token=abc").target
        == "webhook http://127.0.0.1:8080/hook?…"
    )
    email = EmailNotification(to=("a@example.com",), host="mail", port=25)
    assert email.target == "email a@example.com via mail:25"


_PART = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12)


@given(user=_PART, password=_PART, first=_PART, secret=_PART, query=_PART)
def test_a_target_never_holds_user_info_deeper_path_or_query(
    user: str, password: str, first: str, secret: str, query: str
) -> None:
    url = f"https://{user}:{password}@hooks.example.com/{first}/{secret}?k={query}"
    target = parse_notification(url).target
    assert target == f"webhook https://hooks.example.com/{first}/…?…"


def test_an_ipv6_receiver_and_the_email_fields_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    assert parse_notification("http://[::1]:8080/a/b").target == "webhook http://[::1]:8080/a/…"
    assert parse_notification("https://h").target == "webhook https://h"
    with pytest.raises(ConfigError, match="sender 'nobody' is not an email address"):
        parse_notification({"to": ["a@b.c"], "host": "h", "sender": "nobody"})
    with pytest.raises(ConfigError, match="is not an environment variable"):
        parse_notification({"to": ["a@b.c"], "host": "h", "password_env": "1X"})
    monkeypatch.setenv("BIASWATCH_SMTP_HOST", "mail")
    monkeypatch.setenv("BIASWATCH_SMTP_STARTTLS", "maybe")
    with pytest.raises(ConfigError, match="is not true or false") as raised:
        parse_notification("mailto:a@example.com")
    assert raised.value.field == "BIASWATCH_SMTP_STARTTLS"


def test_the_base_url_for_links(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BIASWATCH_BASE_URL", raising=False)
    assert base_url() is None
    monkeypatch.setenv("BIASWATCH_BASE_URL", "https://bias.example.com/")
    assert base_url() == "https://bias.example.com"
    monkeypatch.setenv("BIASWATCH_BASE_URL", "bias.example.com")
    with pytest.raises(ConfigError, match="is not an http"):
        base_url()


def test_objects_pass_through_and_mailto_takes_the_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    given = EmailNotification(
        to=("a@example.com",), host="mail", username_env="MAIL_USER", password_env="MAIL_PW"
    )
    assert parse_notification(given) is given
    for variable in ("PORT", "STARTTLS", "FROM"):
        monkeypatch.delenv(f"BIASWATCH_SMTP_{variable}", raising=False)
    monkeypatch.setenv("BIASWATCH_SMTP_HOST", "mail")
    email = parse_notification("mailto:a@example.com")
    assert isinstance(email, EmailNotification)
    assert (email.port, email.starttls, email.username_env) == (
        587,
        True,
        "BIASWATCH_SMTP_USERNAME",
    )
    assert email.sender.startswith("biaswatch@")
