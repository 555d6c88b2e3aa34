"""Benchmark: the dashboard and the series API over a schedule with 10,000 executions.

A store (SQLite, in a temporary folder) gets one hourly schedule with N executions (about 14
months), each with its metric points: 3 post-training metrics of one facet entry (as the demo
monitors) or all 20 metrics but FT (13 post-training minus FT, 8 pre-training), a violation
every 7th hour. Then ``biaswatch server``'s app, served by uvicorn on loopback in a thread of
this process, answers over HTTP (wall: the request's round trip; CPU: this process's, server and
client together):

- ``GET /schedules/{name}``: the page (default: the last 7 days, the post-training metrics
  when a schedule has both stages), and with ``stage=all``; its size and the wall and CPU time
  (median of 5);
- ``GET /api/schedules/{name}/series``: the default (the last 7 days, at most 1,000 points a
  series) and 30 days;
- ``GET /executions/{id}``: one execution's page (it reads the execution's files; here none).

Usage: ``python benchmarks/dashboard.py [--executions 10000]``. Targets (issue 14): the page
≤ 300 KB and ≤ 200 ms of server time at 10,000 executions.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import insert

from biaswatch.server import create_app
from biaswatch.store import ExecutionRow, MetricPointRow, Store

START = datetime(2025, 9, 1, tzinfo=UTC)
POST = ("AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD", "SD", "TE")
PRE = ("CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD")
SHAPES = {"3 metrics": (("DAR", "DPPL", "RD"), ()), "20 metrics": (POST, PRE)}


def _constraints(post: tuple[str, ...], pre: tuple[str, ...]) -> dict[str, object]:
    def section(metrics: tuple[str, ...]) -> dict[str, object]:
        entry = {
            "value_or_threshold": "0",
            "metrics": [{"name": m, "description": m, "value": 0.2} for m in metrics],
        }
        return {"label": "y", "label_value_or_threshold": "1", "facets": {"sex": [entry]}}

    document: dict[str, object] = {"version": "1.0", "post_training_bias_metrics": section(post)}
    if pre:
        document["pre_training_bias_metrics"] = section(pre)
    return document


def _violated(metric: str) -> dict[str, str]:
    return {"stage": "post_training", "facet": "sex", "facet_value": "0", "metric": metric}


def build(folder: Path, executions: int, post: tuple[str, ...], pre: tuple[str, ...]) -> Store:
    """A store with one hourly schedule and ``executions`` executions with metric points."""
    store = Store.open(f"sqlite:///{folder / 'biaswatch.db'}")
    constraints = folder / "constraints.json"
    constraints.write_text(json.dumps(_constraints(post, pre)))
    definition = {
        "schedule_name": "bench",
        "endpoint_input": {"endpoint_name": "ep", "capture_uri": str(folder / "capture")},
        "ground_truth_uri": str(folder / "truth"),
        "output_uri": str(folder / "out"),
        "analysis_config": {"label": "y", "facet": [{"name_or_index": "sex"}]},
        "baseline_constraints_uri": str(constraints),
        "facet_value_labels": {"0": "female"},
    }
    store.create_schedule("bench", expression="cron(0 * ? * * *)", definition=definition, now=START)
    slots, points = [], []
    for hour in range(executions):
        moment = START + timedelta(hours=hour)
        violated = hour % 7 == 0
        stage_metrics = [("post_training", m) for m in post] + [("pre_training", m) for m in pre]
        slots.append(
            {
                "schedule_name": "bench",
                "scheduled_time": moment,
                "status": "CompletedWithViolations" if violated else "Completed",
                "output_uri": str(folder / "out" / f"{hour}"),
                "counts": {
                    "rows": 1000,
                    "rows_decoded": 1020,
                    "records_read": 2040,
                    "violations": 1 if violated else 0,
                    "violated": [
                        {
                            "stage": "post_training",
                            "facet": "sex",
                            "facet_value": "0",
                            "metric": post[0],
                        }
                    ]
                    if violated
                    else [],
                },
                "created_at": moment,
                "started_at": moment,
                "ended_at": moment + timedelta(seconds=2),
                "attempts": 1,
                "attempt": 1,
            }
        )
        points += [
            {
                "schedule_name": "bench",
                "scheduled_time": moment,
                "stage": stage,
                "facet": "sex",
                "facet_value": "0",
                "metric": metric,
                "value": (0.3 if violated else 0.1) + (hour % 5) / 100,
            }
            for stage, metric in stage_metrics
        ]
    with store.session() as session, session.begin():
        session.execute(insert(ExecutionRow), slots)
        session.execute(insert(MetricPointRow), points)
    return store


@contextmanager
def served(store: Store) -> Iterator[str]:
    """The app on a free loopback port, in a thread; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    config = uvicorn.Config(create_app(store), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join()


def timed(client: httpx.Client, path: str, runs: int = 5) -> tuple[int, float, float]:
    """Response size in bytes, and the median wall and CPU seconds of ``runs`` requests."""
    walls, cpus, size = [], [], 0
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        response.raise_for_status()
        size = len(response.content)
    return size, statistics.median(walls), statistics.median(cpus)


def main() -> None:
    """Print the figures for each schedule shape."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--executions", type=int, default=10_000)
    arguments = parser.parse_args()
    print(f"{'schedule':<12} {'request':<44} {'KB':>8} {'wall ms':>8} {'CPU ms':>8}")
    for shape, (post, pre) in SHAPES.items():
        with tempfile.TemporaryDirectory(prefix="biaswatch-dashboard-") as temporary:
            store = build(Path(temporary), arguments.executions, post, pre)
            latest = store.executions("bench", limit=1)[0]
            month_start = (latest.scheduled_time - timedelta(days=30)).isoformat()
            with served(store) as url, httpx.Client(base_url=url, timeout=60) as client:
                for name, path in (
                    ("schedule page (default: last 7 days)", "/schedules/bench"),
                    ("schedule page, stage=all", "/schedules/bench?stage=all"),
                    ("series API (default: last 7 days)", "/api/schedules/bench/series"),
                    (
                        "series API, 30 days",
                        f"/api/schedules/bench/series?start={month_start.replace('+', '%2B')}",
                    ),
                    ("execution page", f"/executions/{latest.id}"),
                ):
                    size, wall, cpu = timed(client, path)
                    print(
                        f"{shape:<12} {name:<44} {size / 1024:>8.1f} {wall * 1000:>8.0f}"
                        f" {cpu * 1000:>8.0f}"
                    )
            store.engine.dispose()


if __name__ == "__main__":
    main()
