"""The demo's traffic plan and its late ground truth."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from biaswatch.capture import read_ground_truth
from biaswatch.demo.ground_truth import upload_delayed_labels
from biaswatch.demo.traffic import plan_traffic
from biaswatch.errors import ConfigError
from biaswatch.storage import hour_folder

DAY = datetime(2026, 11, 23, tzinfo=UTC)
ROWS = np.arange(100, 160, dtype=np.int64)


def test_each_hour_gets_its_requests_spread_over_it() -> None:
    plan = plan_traffic(DAY, hours=3, per_hour=40, rows=ROWS, seed=5)
    assert len(plan) == 120
    assert len({i.inference_id for i in plan}) == 120
    for hour in range(3):
        start = DAY + timedelta(hours=hour)
        requests = plan[hour * 40 : (hour + 1) * 40]
        assert all(start <= i.time < start + timedelta(hours=1) for i in requests)
        assert len({i.row for i in requests}) == 40  # distinct people within an hour
        assert {i.row for i in requests} <= set(ROWS.tolist())
    assert [i.time for i in plan] == sorted(i.time for i in plan)
    assert plan == plan_traffic(DAY, hours=3, per_hour=40, rows=ROWS, seed=5)


def test_an_hour_cannot_need_more_people_than_there_are() -> None:
    with pytest.raises(ConfigError):
        plan_traffic(DAY, hours=1, per_hour=61, rows=ROWS, seed=5)


def test_labels_arrive_in_the_next_hour_folder(tmp_path: Path) -> None:
    plan = plan_traffic(DAY, hours=2, per_hour=10, rows=ROWS, seed=5)
    labels = np.zeros(200, dtype=np.int64)
    labels[ROWS[::2]] = 1
    root = str(tmp_path / "ground-truth")
    files = upload_delayed_labels(root, plan, labels)
    assert [Path(f).parent.relative_to(root).as_posix() for f in files] == [
        hour_folder(DAY + timedelta(hours=1)),
        hour_folder(DAY + timedelta(hours=2)),
    ]
    truth = read_ground_truth(root, DAY, DAY + timedelta(hours=2))
    assert truth.read == 20
    got = {key: truth.record(key) for key in truth.keys.to_pylist()}
    assert {key: record.data for key, record in got.items() if record} == {
        i.inference_id: str(labels[i.row]) for i in plan
    }
