"""A store with a real schedule and real executions, for the server's tests.

The seed's real-time sample: a baseline, an hourly schedule over an endpoint's capture, biased
traffic in the 09:00 hour; executions at 10:00 (CompletedWithViolations: the window holds the
biased traffic; rerun once, so it shows attempt 2) and 07:00 (Failed: no capture). Building it
runs three executions in worker processes (a few seconds each). The schedule notifies a webhook
that nothing listens on: the violation at 10:00 and the failure at 07:00 each have a delivery
waiting for its second try.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.integration.test_seed_samples import (
    T,
    capture_traffic,
    make_env,
    monitor_with_baseline,
    schedule_endpoint,
)

from biaswatch.clarify import BiasConfig
from biaswatch.store import Store

BIAS = BiasConfig(
    label_values_or_threshold=[1], facet_name="Sex", facet_values_or_threshold=[0], group_name="Age"
)
SCHEDULE = "bias-schedule"
#: A receiver nothing listens on (the discard port of loopback): each try fails at once.
UNREACHABLE = "http://127.0.0.1:9/hooks/bias"


def build_state(folder: Path) -> tuple[Store, dict[str, Any]]:
    """The store, and the ids of the executions by outcome.

    Module-scoped fixtures call this before the per-test clean environment exists, so it sets
    its own ``BIASWATCH_HOME`` (the capture writer registers the endpoint there).
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("BIASWATCH_HOME", str(folder / "biaswatch-home"))
        patch.setenv("BIASWATCH_CLOUDWATCH", "file")
        env = make_env(folder)
        monitor = monitor_with_baseline(env, BIAS)
        schedule_endpoint(monitor, BIAS, env)
        monitor.update_monitoring_schedule(notifications=[UNREACHABLE])
        capture_traffic(env, bias=True)
        monitor.run_execution(scheduled_time=T)
        biased = monitor.run_execution(scheduled_time=T, rerun=True)
        failed = monitor.run_execution(scheduled_time=T - timedelta(hours=3))
    return env["store"], {
        "violations": biased.row.id,
        "failed": failed.row.id,
        "times": [T - timedelta(hours=3), T],
    }
