"""Notifications from the CLI: --notify on create and update, test-notify, what was delivered."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tests.conftest import run_cli
from tests.integration.test_cli_monitor import SLOT, create_schedule, model_url, world
from tests.integration.test_seed_samples import capture_traffic
from tests.receivers import WebhookReceiver

__all__ = ["model_url", "world"]  # the fixtures this module uses


def test_notify_on_create_describe_run_update_and_test(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_SECRET", "cli-secret")
    with WebhookReceiver().running() as hooks, WebhookReceiver().running() as chat:
        signed = json.dumps({"url": hooks.url + "/bias", "secret_env": "HOOK_SECRET"})
        assert create_schedule(world, "--notify", signed, "--notify", f"slack+{chat.url}/x") == 0
        capsys.readouterr()
        assert run_cli(["schedules", "describe", "bias", "--json"]) == 0
        described = json.loads(capsys.readouterr().out)
        assert described["Notifications"] == [
            {"type": "webhook", "url": hooks.url + "/bias", "secret_env": "HOOK_SECRET"},
            {"type": "slack", "url": chat.url + "/x"},
        ]
        capture_traffic({"tmp": world["tmp"]}, bias=True)
        assert run_cli(["executions", "run", "--schedule", "bias", "--scheduled-time", SLOT]) == 3
        capsys.readouterr()
        assert hooks.events() == ["violation"]
        assert hooks.received[0].headers["X-Biaswatch-Signature"].startswith("sha256=")
        body = hooks.received[0].json
        assert body["schedule"] == "bias"
        assert body["scheduled_time"] == "2026-11-24T10:00:00+00:00"
        assert {v["metric_name"] for v in body["violations"]} >= {"DPPL"}
        assert chat.received[0].json["text"].startswith("bias: bias violations began at")

        args = ["executions", "notifications", "--schedule", "bias", "--scheduled-time", SLOT]
        assert run_cli([*args, "--json"]) == 0
        rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
        assert [(r["event"], r["status"], r["tries"]) for r in rows] == [
            ("violation", "Delivered", 1),
            ("violation", "Delivered", 1),
        ]
        assert "cli-secret" not in json.dumps(rows)
        assert run_cli(args) == 0
        assert "Delivered" in capsys.readouterr().out

        # A test event to each receiver; nothing recorded.
        assert run_cli(["schedules", "test-notify", "bias"]) == 0
        out = capsys.readouterr().out
        assert f"delivered: webhook {hooks.url}/bias" in out
        assert f"delivered: slack {chat.url}/x" in out
        assert hooks.events() == ["violation", "test"]

        # --notify on update replaces the receivers; one that fails makes test-notify exit 1.
        assert run_cli(["schedules", "update", "bias", "--notify", "http://127.0.0.1:9/x"]) == 0
        assert run_cli(["schedules", "test-notify", "bias"]) == 1
        assert (
            "FAILED: webhook http://127.0.0.1:9/x could not be reached" in capsys.readouterr().out
        )
        assert run_cli(["schedules", "update", "bias", "--no-notifications"]) == 0
        capsys.readouterr()
        assert run_cli(["schedules", "describe", "bias", "--json"]) == 0
        described = json.loads(capsys.readouterr().out)
        assert "Notifications" not in described
        assert described["Definition"]["notifications"] == []
        assert run_cli(["schedules", "test-notify", "bias"]) == 0
        assert "has no notifications" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("notify", "message"),
    [
        ("ftp://example.com/x", "--notify 'ftp://example.com/x' is not a notification"),
        ('{"url": "https://x", "secret": "inline"}', "Extra inputs are not permitted"),
        ("mailto:ops@example.com", "BIASWATCH_SMTP_HOST is not set"),
    ],
)
def test_a_bad_notify_fails_at_creation(
    world: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    notify: str,
    message: str,
) -> None:
    monkeypatch.delenv("BIASWATCH_SMTP_HOST", raising=False)
    assert create_schedule(world, "--notify", notify) == 2
    assert message in capsys.readouterr().err
    assert run_cli(["schedules", "describe", "bias"]) == 2  # nothing was created


def test_notify_and_no_notifications_contradict(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert create_schedule(world) == 0
    update = ["schedules", "update", "bias", "--notify", "https://h/x", "--no-notifications"]
    assert run_cli(update) == 2
    assert "contradict" in capsys.readouterr().err


def test_live_violation_window_on_create_update_and_the_live_episodes(
    world: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert create_schedule(world, "--live-violation-window", "10") == 0
    capsys.readouterr()
    assert run_cli(["schedules", "describe", "bias", "--json"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["LiveViolationWindowMinutes"] == 10
    job = described["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"]
    assert run_cli(["schedules", "update", "bias", "--live-violation-window", "15"]) == 0
    capsys.readouterr()
    assert run_cli(["schedules", "describe", "bias", "--json"]) == 0
    described = json.loads(capsys.readouterr().out)
    assert described["LiveViolationWindowMinutes"] == 15
    assert described["MonitoringScheduleConfig"]["MonitoringJobDefinitionName"] == job
    both = ["--live-violation-window", "5", "--no-live-violations"]
    assert run_cli(["schedules", "update", "bias", *both]) == 2
    assert "contradict" in capsys.readouterr().err
    assert run_cli(["schedules", "update", "bias", "--live-violation-window", "0"]) == 2
    assert "--live-violation-window" in capsys.readouterr().err
    assert run_cli(["schedules", "update", "bias", "--no-live-violations"]) == 0
    capsys.readouterr()
    assert run_cli(["schedules", "describe", "bias", "--json"]) == 0
    assert "LiveViolationWindowMinutes" not in json.loads(capsys.readouterr().out)
    assert run_cli(["schedules", "live-episodes", "bias"]) == 0
    assert "(none)" in capsys.readouterr().out
    assert run_cli(["schedules", "live-episodes", "nope"]) == 2
