"""Noise-aware constraints: a baseline widened to the sampling noise of a monitoring window.

SageMaker flags a metric when ``abs(current) > abs(baseline)``, with no tolerance. A window of
a few hundred rows is a small sample: drawn from the baseline's own population, its metrics
come out above the baseline's about half of the time, so every window of unchanged traffic
alerts on several metrics. :func:`noise_aware_constraints` computes, for each count-based metric
of each facet entry of a baseline, how far from its ideal value (1 for DI, 0 for the others) the
metric strays in a window of ``expected_window_rows`` rows of unchanged traffic, and writes that
distance as the constraint:

* a window is a bootstrap sample of the baseline's rows, which is a multinomial draw of its
  count tensor's cells (``C[group, side, label, prediction]``: the group variable is kept, so
  CDDL and CDDPL are resampled within groups); ``resamples`` windows are drawn at once and every
  metric is computed on all of them by vectorised kernels (:mod:`._batch`);
* the allowed distance is the ``quantile`` (an order statistic) of ``|metric − ideal|`` over
  the windows where the metric is defined, and never less than the baseline's own
  ``|value − ideal|``;
* the constraint is ``ideal + allowed``, with the baseline's sign where the ideal is 0
  (``-0.2`` widens to ``-0.35``).

FT (it needs the feature rows), undefined and infinite baseline values, and metrics undefined
in every window keep the baseline's value. The result is an ``analysis.json`` document: the
violation rules read it as they read a baseline's, and its ``biaswatch`` extension records the
parameters, the baseline's own values and what was left unchanged.

DI, whose ideal is 1: SageMaker's rule compares sizes, so it flags DI rising above its
constraint and never DI falling toward 0, whatever the constraint. The constraint
``1 + allowed`` keeps SageMaker's rule quiet on unchanged windows (DI rises above it in at most
``1 − quantile`` of them), and under the ``ideal`` rule (``violation_rules={"rule": "ideal"}``,
``|current − 1| > allowed``) it flags DI leaving ``[1 − allowed, 1 + allowed]`` either way,
a collapse toward 0 included. For every metric whose ideal is 0 the two rules are the same.
"""

from __future__ import annotations

import copy
import math
import zlib
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np
import numpy.typing as npt

from biaswatch.analysis import (
    SECTIONS,
    AnalysisResult,
    FacetResult,
    analysis_document,
    json_number,
)
from biaswatch.analysis.document import EXTENSION
from biaswatch.config.rules import IDEAL_VALUES, ideal_value
from biaswatch.constraints._batch import BATCH_KERNELS, CountBatch, batch_values
from biaswatch.errors import ConfigError
from biaswatch.metrics import MetricCode, Stage

__all__ = [
    "NOISE_AWARE_FILE",
    "QUANTILE",
    "RESAMPLES",
    "WindowNoise",
    "noise_aware_constraints",
]

RESAMPLES = 4000
"""Windows drawn per facet entry, by default."""
QUANTILE = 0.999
"""The share of unchanged windows a metric's constraint covers, by default."""
NOISE_AWARE_FILE = "noise_aware_constraints.json"
"""The file a baselining job writes beside ``analysis.json`` when asked for noise-aware ones."""
KEY = "noise_aware_constraints"
"""The key of the parameters in the document's ``biaswatch`` extension."""

_STAGE_KEYS = {Stage.PRE_TRAINING: 0, Stage.POST_TRAINING: 1}
_CHUNK_CELLS = 1 << 21


def _whole_number(name: str, value: object, *, minimum: int, meaning: str) -> int:
    if isinstance(value, bool) or not isinstance(value, Integral) or int(value) < minimum:
        raise ConfigError(
            f"{name} = {value!r}: expected a whole number ≥ {minimum} ({meaning})",
            field=name,
            value=value,
        )
    return int(value)


@dataclass(frozen=True, slots=True)
class WindowNoise:
    """How a baseline is widened: the window's size, the resamples, the quantile, the seed.

    Parameters
    ----------
    expected_window_rows : int
        Rows in a monitoring window (an hour of traffic, say); at least 1.
    resamples : int, default 4000
        Windows drawn from the baseline, per facet entry.
    quantile : float, default 0.999
        The share of unchanged windows each metric's constraint covers, in (0, 1].
    seed : int, default 0
        The seed of the draws (non-negative): the same baseline and parameters give the same
        constraints.

    Raises
    ------
    ConfigError
        At creation, naming the field and the value, when one is out of range or not a number
        of the right kind.

    Examples
    --------
    >>> WindowNoise(400)
    WindowNoise(expected_window_rows=400, resamples=4000, quantile=0.999, seed=0)
    >>> WindowNoise(0)
    Traceback (most recent call last):
    ...
    biaswatch.errors.ConfigError: expected_window_rows = 0: expected a whole number ≥ 1 (rows in a monitoring window)
    """  # noqa: E501

    expected_window_rows: int
    resamples: int = RESAMPLES
    quantile: float = QUANTILE
    seed: int = 0

    def __post_init__(self) -> None:
        rows = _whole_number(
            "expected_window_rows",
            self.expected_window_rows,
            minimum=1,
            meaning="rows in a monitoring window",
        )
        resamples = _whole_number(
            "resamples", self.resamples, minimum=1, meaning="windows drawn per facet entry"
        )
        seed = _whole_number("seed", self.seed, minimum=0, meaning="the seed of the draws")
        quantile = self.quantile
        if (
            isinstance(quantile, bool)
            or not isinstance(quantile, Real)
            or not 0.0 < float(quantile) <= 1.0
        ):
            raise ConfigError(
                f"quantile = {quantile!r}: expected a number in (0, 1], such as 0.999",
                field="quantile",
                value=quantile,
            )
        object.__setattr__(self, "expected_window_rows", rows)
        object.__setattr__(self, "resamples", resamples)
        object.__setattr__(self, "seed", seed)
        object.__setattr__(self, "quantile", float(quantile))

    def to_json(self) -> dict[str, Any]:
        """The parameters, as the widened document records them."""
        return {
            "expected_window_rows": self.expected_window_rows,
            "resamples": self.resamples,
            "quantile": self.quantile,
            "seed": self.seed,
        }


def _constraint(name: str, baseline: float, allowed: float) -> float:
    """``ideal + allowed``; where the ideal is 0, with the sign of the baseline's value."""
    ideal = ideal_value(name)
    if ideal == 0.0:
        return math.copysign(allowed, baseline)
    return ideal + allowed


def _widened_entry(
    facet: FacetResult, noise: WindowNoise, rng: np.random.Generator
) -> tuple[dict[MetricCode, float], dict[MetricCode, str]]:
    """The constraint of each widened metric of one facet entry, and why the others are not."""
    widened: dict[MetricCode, float] = {}
    unchanged: dict[MetricCode, str] = {}
    baselines: dict[MetricCode, float] = {}
    for metric in facet.metrics:
        value = metric.value.value
        if metric.code not in BATCH_KERNELS:
            unchanged[metric.code] = "needs the feature rows, not counts"
        elif value is None:
            unchanged[metric.code] = "undefined in the baseline"
        elif math.isinf(value):
            unchanged[metric.code] = "infinite in the baseline"
        else:
            baselines[metric.code] = float(value)
    cells = facet.counts.cells
    total = int(cells.sum())
    if total == 0:  # a result built by hand; an analysis gives no value without rows
        unchanged.update(dict.fromkeys(baselines, "no rows in the baseline's counts"))
        return widened, unchanged
    probabilities = cells.reshape(-1) / total
    # Draws in chunks of at most _CHUNK_CELLS cells: a group variable with many values
    # multiplies the cells, and memory stays bounded however many there are.
    chunk = max(1, _CHUNK_CELLS // cells.size)
    found: dict[MetricCode, list[npt.NDArray[np.float64]]] = {code: [] for code in baselines}
    for start in range(0, noise.resamples, chunk):
        size = min(chunk, noise.resamples - start)
        draws = rng.multinomial(noise.expected_window_rows, probabilities, size=size)
        batch = CountBatch(
            np.asarray(draws, dtype=np.int64).reshape((size, *cells.shape)),
            facet.counts.grouped,
            facet.counts.missing_group,
        )
        for code in baselines:
            found[code].append(batch_values(batch, code))
    for code, baseline in baselines.items():
        ideal = ideal_value(code.value)
        distances = np.abs(np.concatenate(found[code]) - ideal)
        defined = distances[~np.isnan(distances)]
        if defined.size == 0:
            unchanged[code] = "undefined in every window of this size"
            continue
        noise_distance = float(np.quantile(defined, noise.quantile, method="higher"))
        allowed = max(noise_distance, abs(baseline - ideal))
        widened[code] = _constraint(code.value, baseline, allowed)
    return widened, unchanged


def noise_aware_constraints(result: AnalysisResult, noise: WindowNoise) -> dict[str, Any]:
    """The baseline's ``analysis.json`` widened to the sampling noise of a window (see above).

    ``result`` is the baseline's analysis (it keeps each facet entry's count tensor). Facet
    entries (values, thresholds, intersections) are widened one by one, each from its own
    seeded draws, so the result does not depend on which other facets the baseline has.

    Examples
    --------
    Women (``s = 0``) predicted positive 30 % of the time, men 45 %; windows of 400 rows:

    >>> import pyarrow as pa
    >>> from biaswatch.analysis import analyze, dataset_from_table
    >>> from biaswatch.config import config_from_dict
    >>> config = config_from_dict({"label": "y", "predicted_label": "p",
    ...     "label_values_or_threshold": [1],
    ...     "facet": [{"name_or_index": "s", "value_or_threshold": [0]}],
    ...     "methods": {"post_training_bias": {"methods": ["DI", "DPPL"]}}})
    >>> rng = np.random.default_rng(0)
    >>> s = (rng.random(5000) < 0.65).astype(np.int64)
    >>> y = (rng.random(5000) < 0.4).astype(np.int64)
    >>> p = (rng.random(5000) < np.where(s == 0, 0.30, 0.45)).astype(np.int64)
    >>> table = pa.table({"s": s, "y": y, "p": p})
    >>> baseline = analyze(dataset_from_table(table, config), config)
    >>> widened = noise_aware_constraints(baseline, WindowNoise(400))
    >>> def values(document):
    ...     entry = document["post_training_bias_metrics"]["facets"]["s"][0]
    ...     return {m["name"]: round(m["value"], 3) for m in entry["metrics"]}
    >>> values(analysis_document(baseline)), values(widened)
    ({'DI': 0.642, 'DPPL': 0.156}, {'DI': 1.633, 'DPPL': 0.312})

    A window's DPPL alerts above 0.312 (the baseline's 0.156 plus an hour's noise); under the
    ``ideal`` rule, DI alerts below 1 − 0.633 = 0.367 or above 1.633.

    >>> widened["biaswatch"]["noise_aware_constraints"]["expected_window_rows"]
    400
    """
    baseline = analysis_document(result)
    baseline.pop(EXTENSION, None)
    widened = copy.deepcopy(baseline)
    unchanged: list[dict[str, str]] = []
    for stage in result.stages:
        section = f"{stage.stage.value}_bias_metrics"
        for name, entries in stage.facets.items():
            for position, facet in enumerate(entries):
                # Seeded by the entry itself, so other facets change nothing of its draws.
                entry_key = [_STAGE_KEYS[stage.stage], zlib.crc32(name.encode()), position]
                rng = np.random.default_rng([noise.seed, *entry_key])
                constraints, kept = _widened_entry(facet, noise, rng)
                for metric in widened[section]["facets"][name][position]["metrics"]:
                    code = MetricCode(metric["name"])
                    if code in constraints:
                        metric["value"] = json_number(constraints[code])
                    else:
                        unchanged.append(
                            {
                                "section": section,
                                "facet": name,
                                "value_or_threshold": facet.value_or_threshold,
                                "name": code.value,
                                "reason": kept[code],
                            }
                        )
    widened[EXTENSION] = {
        KEY: noise.to_json()
        | {
            "baseline_rows": result.rows,
            "ideal_values": dict(IDEAL_VALUES),
            "method": (
                "Each count-based metric's constraint is its ideal value plus an allowed"
                " distance (with the baseline's sign where the ideal is 0): the quantile of"
                " |metric - ideal| over resamples windows of expected_window_rows rows drawn"
                " from the baseline (multinomial draws of its count tensor's cells, the group"
                " variable kept), and never less than the baseline's own |value - ideal|."
            ),
            "rules": (
                "SageMaker's rule, abs(current) > abs(constraint), alerts on at most about"
                " 1 - quantile of unchanged windows per metric. For DI (ideal 1) it flags only a"
                " rise above 1 + allowed; the 'ideal' rule (violation_rules={'rule': 'ideal'})"
                " also flags DI falling below 1 - allowed, a collapse toward 0 included. For"
                " metrics whose ideal is 0 both rules are the same."
            ),
            "unchanged": unchanged,
        },
        "baseline_values": {key: baseline[key] for key in SECTIONS if key in baseline},
    }
    return widened
