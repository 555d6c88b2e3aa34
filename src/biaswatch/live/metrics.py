"""Live DPPL, DI and facet share over the last minutes, from the writers' live counts.

:func:`read_live_counts` adds up every writer's counts (one document per writer and hour, see
:mod:`biaswatch.capture.live`) minute by minute; :func:`live_metrics` turns the minutes of each
sliding window into an aggregated table — one row per (facet values, prediction), weighted by
its count — and analyses it with the very code an execution uses, so an hour's live DPPL and DI
are the hourly execution's for the same records. A record's label is not known live: the table's
label column is its prediction, which DPPL, DI and the share never read.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from biaswatch.analysis import (
    AnalysisResult,
    IntervalOptions,
    analyze,
    dataset_from_table,
    json_value,
    metric_number,
    with_intervals,
)
from biaswatch.capture.assembly import missing_values, outcome_column
from biaswatch.capture.live import FORMAT, LIVE_FOLDER, LiveBias
from biaswatch.config import config_from_dict
from biaswatch.errors import StorageError
from biaswatch.storage import hour_folder, hours_between, join, list_files, read_bytes

__all__ = [
    "DEFAULT_WINDOWS",
    "LiveMetric",
    "LiveWindow",
    "MinuteCounts",
    "analyse_window",
    "live_metrics",
    "live_windows",
    "read_live_counts",
]

logger = logging.getLogger(__name__)

DEFAULT_WINDOWS = (5, 15, 60)
"""The sliding windows, in minutes."""
METRICS = ("DPPL", "DI")
_LABEL, _PREDICTED = "__live_label", "__live_predicted"
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True, slots=True)
class MinuteCounts:
    """All writers' counts, by minute; ``skipped`` records could not be read."""

    minutes: dict[datetime, Counter[tuple[Any, ...]]]
    skipped: int
    documents: int
    """The documents read (a writer writes one an hour, or more if an hour was reopened)."""

    def between(self, start: datetime, end: datetime) -> Counter[tuple[Any, ...]]:
        """The counts of the minutes that start in ``[start, end)``."""
        total: Counter[tuple[Any, ...]] = Counter()
        for minute, counts in self.minutes.items():
            if start <= minute < end:
                total.update(counts)
        return total


@dataclass(frozen=True, slots=True)
class LiveMetric:
    """One live value: a metric of a facet entry over the last ``window`` minutes."""

    facet: str
    facet_value: str
    metric: str
    """``DPPL``, ``DI``, or ``share`` (the facet value's share of the records)."""
    window: int
    value: float | None
    records: int
    """The records counted in the window."""
    bounds: tuple[float, float] | None = None
    """The value's bootstrap confidence interval, when the window was analysed with them."""


def read_live_counts(folder: str, bias: LiveBias, first: datetime, last: datetime) -> MinuteCounts:
    """Every writer's live counts under a capture ``folder``, from ``first``'s hour to ``last``'s.

    A document that cannot be read, or that counts other columns (the config changed), is
    logged and left out.
    """
    minutes: dict[datetime, Counter[tuple[Any, ...]]] = {}
    skipped = documents = 0
    for hour in hours_between(first, last):
        for uri in list_files(join(folder, LIVE_FOLDER, hour_folder(hour))):
            try:
                document = orjson.loads(read_bytes(uri))
                if document.get("format") != FORMAT:
                    raise ValueError(f"format {document.get('format')!r} is not {FORMAT}")
                if tuple(document["columns"]) != bias.columns:
                    raise ValueError(f"it counts {document['columns']}, not {list(bias.columns)}")
                for minute, counted in document["minutes"].items():
                    total = minutes.setdefault(datetime.fromisoformat(minute), Counter())
                    total.update({tuple(key): int(count) for key, count in counted})
                skipped += int(document["skipped"])
                documents += 1
            except (StorageError, orjson.JSONDecodeError, ValueError, KeyError, TypeError) as exc:
                logger.warning("live counts %s left out: %s", uri, exc)
    return MinuteCounts(minutes, skipped, documents)


@dataclass(frozen=True, slots=True)
class LiveWindow:
    """The analysis of one sliding window's counts (None: no usable record in it)."""

    window: int
    records: int
    result: AnalysisResult | None

    def metrics(self) -> list[LiveMetric]:
        """DPPL, DI and share of each facet entry."""
        if self.result is None or self.result.post_training is None:
            return []
        found = []
        for facet, entries in self.result.post_training.facets.items():
            for entry in entries:
                a, d = entry.counts.sides()
                share = d.n / (a.n + d.n) if a.n + d.n else None
                where = (facet, entry.value_or_threshold)
                found.append(LiveMetric(*where, "share", self.window, share, self.records))
                for metric in entry.metrics:
                    value = metric_number(json_value(metric.value))
                    code = metric.code.value
                    interval = metric.interval
                    bounds = None if interval is None else (interval.lower, interval.upper)
                    found.append(LiveMetric(*where, code, self.window, value, self.records, bounds))
        return found


def analyse_window(
    bias: LiveBias,
    counts: Counter[tuple[Any, ...]],
    window: int,
    *,
    intervals: IntervalOptions | None = None,
) -> LiveWindow:
    """DPPL and DI of ``counts``, analysed as an execution analyses its window.

    With ``intervals``, their confidence intervals too (the count bootstrap's).
    """
    if not counts:
        return LiveWindow(window, 0, None)
    keys, weights = list(counts), np.array(list(counts.values()), np.int64)
    # Typed as an execution's table types them: text as CSV text, JSON values as they are.
    columns = {
        name: outcome_column([], [k[i] for k in keys]) for i, name in enumerate(bias.columns)
    }
    predicted = outcome_column([], [k[-1] for k in keys])
    table = pa.table({**columns, _LABEL: predicted, _PREDICTED: predicted})
    missing = missing_values(predicted)
    for name in bias.columns:
        missing = pc.or_(missing, missing_values(table.column(name).combine_chunks()))
    keep = pc.invert(missing)
    mask = np.asarray(keep)
    table, weights = table.filter(keep), weights[mask]
    if not table.num_rows:
        return LiveWindow(window, 0, None)
    config = config_from_dict(
        {
            "label": _LABEL,
            "predicted_label": _PREDICTED,
            "label_values_or_threshold": bias.config.label_values_or_threshold,
            "facet": [f.model_dump(exclude_none=True) for f in bias.facets],
            "methods": {"post_training_bias": {"methods": list(METRICS)}},
        },
        source="the live counts",
    )
    result = analyze(
        dataset_from_table(table, config, source="the live counts", weights=weights),
        config,
        strict=False,
    )
    if intervals is not None:
        result = with_intervals(result, intervals)
    return LiveWindow(window, int(weights.sum()), result)


def live_windows(
    folder: str,
    bias: LiveBias,
    *,
    now: datetime,
    windows: Iterable[int] = DEFAULT_WINDOWS,
    intervals: IntervalOptions | None = None,
) -> list[LiveWindow]:
    """Each sliding window's analysis: the minutes that start in ``[now - window, now)``.

    The minute ``now`` is in counts as far as it went.
    """
    chosen = sorted(set(windows))
    if not chosen:
        return []
    end = now.replace(second=0, microsecond=0)
    if end != now:
        end += timedelta(minutes=1)
    counts = read_live_counts(folder, bias, end - timedelta(minutes=chosen[-1]), end - _TICK)
    return [
        analyse_window(
            bias, counts.between(end - timedelta(minutes=w), end), w, intervals=intervals
        )
        for w in chosen
    ]


def live_metrics(
    folder: str,
    bias: LiveBias,
    *,
    now: datetime,
    windows: Iterable[int] = DEFAULT_WINDOWS,
) -> list[LiveMetric]:
    """Each window's live metrics (see :func:`live_windows`)."""
    return [m for w in live_windows(folder, bias, now=now, windows=windows) for m in w.metrics()]
