"""A monitored endpoint whose writer counts live: a store, a schedule, traffic minute by minute."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.unit.jobs.test_execution import ANALYSIS, baseline, definition, rows

from biaswatch.capture import LiveBias
from biaswatch.capture.config import DataCaptureConfig
from biaswatch.capture.writer import CaptureWriter
from biaswatch.config.rules import ViolationRules
from biaswatch.store import Store

NOW = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)
SCHEDULE = "live-bias"


def live_world(
    folder: Path, *, with_baseline: bool = True, store_url: str | None = None, **changes: Any
) -> tuple[Store, str]:
    """A store with an hourly schedule over endpoint ``ep``, and the data's base folder.

    The schedule compares with a baseline of unbiased data by the ``significant`` rule;
    ``changes`` are more fields of its definition. The store is SQLite in ``folder`` unless
    ``store_url`` says.
    """
    base = str(folder / "data")
    store = Store.open(store_url or f"sqlite:///{folder / 'biaswatch.db'}")
    constraints = baseline(base, rows(600, biased=False)) if with_baseline else None
    job = definition(
        base,
        baseline_constraints_uri=constraints,
        violation_rules=ViolationRules(rule="significant"),  # noise in 5 minutes is no drift
        confidence_level=0.95,
        bootstrap_resamples=200,
        **changes,
    ).model_copy(update={"schedule_name": SCHEDULE})
    store.create_schedule(
        SCHEDULE, expression="cron(0 * ? * * *)", definition=job.model_dump(mode="json"), now=NOW
    )
    return store, base


def send(base: str, minutes: range, *, biased: bool, per_minute: int = 20, seed: int = 1) -> None:
    """Traffic through one writer (one process): ``per_minute`` requests in each minute before
    ``NOW`` in ``minutes`` (``range(60, 0, -1)``: the last hour). Biased, group 0 is nearly
    never predicted positive."""
    rng = random.Random(seed)
    moment = [NOW]
    config = DataCaptureConfig(
        enable_capture=True, sampling_percentage=100, destination_s3_uri=f"{base}/capture"
    )
    bias = LiveBias.create(ANALYSIS)
    with CaptureWriter(
        config, endpoint_name="ep", clock=lambda: moment[0], register=False, live=bias
    ) as writer:
        for ago in minutes:
            for i in range(per_minute):
                moment[0] = NOW - timedelta(minutes=ago) + timedelta(seconds=i)
                sex = rng.randint(0, 1)
                score = rng.uniform(0.3, 0.9)
                if biased and sex == 0:
                    score = rng.uniform(0.0, 0.45)
                writer.capture(
                    request_body=f"{sex},{rng.randint(0, 50)}".encode(),
                    request_content_type="text/csv",
                    response_body=f"{score:.4f}".encode(),
                    response_content_type="text/csv",
                )
