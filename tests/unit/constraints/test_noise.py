"""Noise-aware constraints: a baseline widened to the sampling noise of a window."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from tests.german_credit import CONFIG, GermanCredit, biased, load_german_credit, reference_table

from biaswatch.analysis import (
    SECTIONS,
    AnalysisResult,
    FacetResult,
    MetricResult,
    StageResult,
    analysis_document,
    analyze,
    dataset_from_table,
    metric_number,
)
from biaswatch.config import AnalysisConfig, config_from_dict
from biaswatch.config.rules import ViolationRules
from biaswatch.constraints import check_bias_drift
from biaswatch.constraints.noise import QUANTILE, RESAMPLES, WindowNoise, noise_aware_constraints
from biaswatch.errors import ConfigError
from biaswatch.metrics import CountTensor, MetricCode, MetricValue, Stage
from biaswatch.storage import json_bytes

Metric = tuple[str, str, int, str]  # section, facet, entry position, metric name


def metrics(document: dict[str, Any]) -> Iterator[tuple[Metric, dict[str, Any]]]:
    for section in SECTIONS:
        for facet, entries in ((document.get(section) or {}).get("facets") or {}).items():
            for position, entry in enumerate(entries):
                for metric in entry["metrics"]:
                    yield (section, facet, position, metric["name"]), metric


def values(document: dict[str, Any]) -> dict[Metric, float | None]:
    return {key: metric_number(metric["value"]) for key, metric in metrics(document)}


@pytest.fixture(scope="module")
def credit() -> GermanCredit:
    return load_german_credit()


@pytest.fixture(scope="module")
def config() -> AnalysisConfig:
    return config_from_dict(CONFIG)


def analysed(config: AnalysisConfig, table: pa.Table, *, strict: bool = True) -> AnalysisResult:
    return analyze(dataset_from_table(table, config), config, strict=strict)


@pytest.fixture(scope="module")
def baseline(credit: GermanCredit, config: AnalysisConfig) -> AnalysisResult:
    return analysed(config, reference_table(credit))


@pytest.fixture(scope="module")
def widened(baseline: AnalysisResult) -> dict[str, Any]:
    return noise_aware_constraints(baseline, WindowNoise(400))


# ------------------------------------------------------------------------------ parameters


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expected_window_rows", 0),
        ("expected_window_rows", -400),
        ("expected_window_rows", 400.0),
        ("expected_window_rows", 2.5),
        ("expected_window_rows", "400"),
        ("expected_window_rows", True),
        ("expected_window_rows", None),
        ("resamples", 0),
        ("resamples", 1000.5),
        ("quantile", 0.0),
        ("quantile", 1.5),
        ("quantile", "0.999"),
        ("quantile", math.nan),
        ("seed", -1),
        ("seed", 1.0),
    ],
)
def test_bad_values_fail_at_creation_naming_the_field(field: str, value: object) -> None:
    arguments: dict[str, Any] = {"expected_window_rows": 400} | {field: value}
    with pytest.raises(ConfigError) as caught:
        WindowNoise(**arguments)
    assert caught.value.field == field
    assert caught.value.value is value
    assert field in str(caught.value)
    assert repr(value) in str(caught.value)


def test_parameters_are_normalised() -> None:
    noise = WindowNoise(
        np.int64(400),  # type: ignore[arg-type]
        resamples=np.int32(100),  # type: ignore[arg-type]
        quantile=1,
        seed=np.uint8(3),  # type: ignore[arg-type]
    )
    assert noise == WindowNoise(400, resamples=100, quantile=1.0, seed=3)
    assert type(noise.expected_window_rows) is int
    assert type(noise.quantile) is float
    assert (RESAMPLES, QUANTILE) == (4000, 0.999)  # the defaults the CLI's help names


# ---------------------------------------------------------------------------- the document


def test_widened_constraints_are_never_tighter_than_the_baseline(
    baseline: AnalysisResult, widened: dict[str, Any]
) -> None:
    before, after = values(analysis_document(baseline)), values(widened)
    assert before.keys() == after.keys()
    changed = 0
    for key, value in before.items():
        limit = after[key]
        if value is None or math.isinf(value):
            assert limit == value
            continue
        assert limit is not None
        assert abs(limit) >= abs(value)
        if key[3] == "DI":
            assert limit >= 1 + abs(value - 1)  # ideal 1: exceeded from above
        else:
            assert math.copysign(1, limit) == math.copysign(1, value) or value == 0
        changed += limit != value
    assert changed >= 0.9 * sum(v is not None for v in before.values())


def test_the_document_explains_itself(baseline: AnalysisResult, widened: dict[str, Any]) -> None:
    plain = analysis_document(baseline)
    extension = widened["biaswatch"]
    parameters = extension["noise_aware_constraints"]
    assert {
        k: parameters[k] for k in ("expected_window_rows", "resamples", "quantile", "seed")
    } == {
        "expected_window_rows": 400,
        "resamples": 4000,
        "quantile": 0.999,
        "seed": 0,
    }
    assert parameters["baseline_rows"] == 1000
    assert parameters["ideal_values"] == {"DI": 1.0}
    assert "ideal" in parameters["rules"]
    assert "quantile" in parameters["method"]
    # The baseline's own values, as the dashboard reads them.
    assert extension["baseline_values"] == {key: plain[key] for key in SECTIONS}
    assert list(widened) == ["version", *SECTIONS, "biaswatch"]
    # Descriptions, errors, labels: everything but the values is the baseline's.
    for (key, metric), (same, original) in zip(metrics(widened), metrics(plain), strict=True):
        assert key == same
        assert {k: v for k, v in metric.items() if k != "value"} == {
            k: v for k, v in original.items() if k != "value"
        }
    json_bytes(widened)  # it is JSON


def _result(counts: CountTensor, entries: dict[MetricCode, MetricValue]) -> AnalysisResult:
    facet = FacetResult(
        "0",
        tuple(MetricResult(code, code.value, value) for code, value in entries.items()),
        counts.facet([0]),
    )
    post = StageResult(Stage.POST_TRAINING, "y", "1", {"s": (facet,)})
    return AnalysisResult(rows=int(counts.cells.sum()), pre_training=None, post_training=post)


def test_ft_undefined_and_infinite_values_stay_the_baselines() -> None:
    rng = np.random.default_rng(0)
    counts = CountTensor(rng.integers(5, 50, size=(1, 2, 2, 2)).astype(np.int64))
    result = _result(
        counts,
        {
            MetricCode.DPPL: MetricValue(0.05),
            MetricCode.FT: MetricValue(-0.02),
            MetricCode.RD: MetricValue.failed("Facet set is empty"),
            MetricCode.TE: MetricValue(math.inf),
        },
    )
    document = noise_aware_constraints(result, WindowNoise(50))
    entry = document["post_training_bias_metrics"]["facets"]["s"][0]["metrics"]
    assert [m["value"] for m in entry[1:]] == [-0.02, None, "Infinity"]
    assert entry[0]["value"] > 0.05
    assert entry[2]["error"] == "Facet set is empty"
    reasons = {
        u["name"]: u["reason"]
        for u in document["biaswatch"]["noise_aware_constraints"]["unchanged"]
    }
    assert reasons == {
        "FT": "needs the feature rows, not counts",
        "RD": "undefined in the baseline",
        "TE": "infinite in the baseline",
    }


def test_an_entry_without_rows_stays_the_baselines() -> None:
    empty = CountTensor(np.zeros((1, 2, 2, 2), dtype=np.int64))
    document = noise_aware_constraints(
        _result(empty, {MetricCode.DPPL: MetricValue(0.1)}), WindowNoise(50)
    )
    assert values(document) == {("post_training_bias_metrics", "s", 0, "DPPL"): 0.1}
    [unchanged] = document["biaswatch"]["noise_aware_constraints"]["unchanged"]
    assert unchanged["reason"] == "no rows in the baseline's counts"


def test_a_metric_undefined_in_every_window_stays_the_baselines(baseline: AnalysisResult) -> None:
    # A window of one row has one side empty: every metric comparing the sides is undefined.
    document = noise_aware_constraints(baseline, WindowNoise(1, resamples=50))
    reasons = {
        (u["facet"], u["name"]): u["reason"]
        for u in document["biaswatch"]["noise_aware_constraints"]["unchanged"]
    }
    assert reasons[("sex", "DPPL")] == "undefined in every window of this size"
    assert (
        values(document)[("post_training_bias_metrics", "sex", 0, "DPPL")]
        == values(analysis_document(baseline))[("post_training_bias_metrics", "sex", 0, "DPPL")]
    )


def test_the_same_seed_gives_the_same_bytes(
    baseline: AnalysisResult, widened: dict[str, Any]
) -> None:
    assert json_bytes(noise_aware_constraints(baseline, WindowNoise(400))) == json_bytes(widened)
    other = noise_aware_constraints(baseline, WindowNoise(400, seed=1))
    assert other["biaswatch"]["noise_aware_constraints"]["seed"] == 1
    assert values(other) != values(widened)


def test_an_entry_does_not_depend_on_the_other_facets(
    credit: GermanCredit, widened: dict[str, Any]
) -> None:
    alone = config_from_dict(CONFIG | {"facet": [CONFIG["facet"][0]]})
    document = noise_aware_constraints(analysed(alone, reference_table(credit)), WindowNoise(400))
    sex = {key: value for key, value in values(widened).items() if key[1] == "sex"}
    assert values(document) == sex


def test_smaller_windows_get_wider_constraints(baseline: AnalysisResult) -> None:
    small = values(noise_aware_constraints(baseline, WindowNoise(100)))
    large = values(noise_aware_constraints(baseline, WindowNoise(4000)))
    plain = values(analysis_document(baseline))
    for key in [("post_training_bias_metrics", "sex", 0, code) for code in ("DPPL", "DI", "RD")]:
        small_value, large_value, value = small[key], large[key], plain[key]
        assert small_value is not None
        assert large_value is not None
        assert value is not None
        assert abs(small_value) > abs(large_value) >= abs(value)


def test_every_facet_entry_is_widened_group_variable_kept(credit: GermanCredit) -> None:
    facets = [
        {"name_or_index": "housing"},  # one-vs-rest: an entry per value
        {"name_or_index": "age", "value_or_threshold": [40]},  # a threshold
        {"name_or_index": ["sex", "housing"], "value_or_threshold": ["0 × A151"]},  # intersection
    ]
    grouped = config_from_dict(CONFIG | {"facet": facets, "group_variable": "sex"})
    result = analysed(grouped, reference_table(credit))
    document = noise_aware_constraints(result, WindowNoise(400))
    plain = values(analysis_document(result))
    entries = {(key[1], key[2]) for key in plain}
    assert entries == {
        ("housing", 0), ("housing", 1), ("housing", 2), ("age", 0), ("sex × housing", 0),
    }  # fmt: skip
    widened = values(document)
    for key, value in plain.items():
        if value is not None and not math.isinf(value):
            assert widened[key] != value, key  # CDDL and CDDPL too: the group variable is kept
    assert document["biaswatch"]["noise_aware_constraints"]["unchanged"] == []
    # Without a group variable, CDDL and CDDPL are undefined, and stay so.
    ungrouped = config_from_dict({k: v for k, v in CONFIG.items() if k != "group_variable"})
    reasons = {
        (u["facet"], u["name"]): u["reason"]
        for u in noise_aware_constraints(
            analysed(ungrouped, reference_table(credit)), WindowNoise(400)
        )["biaswatch"]["noise_aware_constraints"]["unchanged"]
    }
    assert reasons == {
        (facet, code): "undefined in the baseline"
        for facet in ("sex", "age")
        for code in ("CDDL", "CDDPL")
    }


# ---------------------------------------------------------------------------------- windows


def alerting_share(
    credit: GermanCredit,
    config: AnalysisConfig,
    constraints: dict[str, Any],
    *,
    rules: ViolationRules,
    share: float = 0.0,
    windows: int = 200,
) -> float:
    """The share of ``windows`` windows of 400 applicants, drawn from the reference, that alert.

    ``share`` of the women's good predictions are turned bad (injected bias).
    """
    rng = np.random.default_rng(2024)
    alerting = 0
    for _ in range(windows):
        rows = rng.integers(0, len(credit), size=400)
        predicted = biased(credit, rows, rng, share=share) if share else None
        table = reference_table(credit, rows, predicted_good=predicted)
        current = analysis_document(analysed(config, table, strict=False))
        alerting += bool(check_bias_drift(current, constraints, rules))
    return alerting / windows


@pytest.mark.parametrize("rule", ["sagemaker", "ideal"])
def test_unchanged_windows_rarely_alert_biased_ones_do(
    credit: GermanCredit,
    config: AnalysisConfig,
    baseline: AnalysisResult,
    widened: dict[str, Any],
    rule: str,
) -> None:
    """Fixed seeds: deterministic. The bounds are far from the expected rates all the same.

    40 checks a window, each exceeded by at most 0.1 % of unchanged windows: at most 4 %
    (about 2-3 %, the checks being correlated) against a bound of 10 %; SageMaker's plain
    constraints alert on nearly every window.
    """
    rules = ViolationRules(rule=rule)
    plain = analysis_document(baseline)
    assert alerting_share(credit, config, plain, rules=ViolationRules()) >= 0.9
    assert alerting_share(credit, config, widened, rules=rules) <= 0.1
    assert alerting_share(credit, config, widened, rules=rules, share=0.5, windows=50) >= 0.9


def test_fresh_windows_of_a_population_rarely_alert() -> None:
    """Windows drawn from the population, not from the baseline's rows: the bootstrap carries."""
    synthetic = config_from_dict(
        {
            "label": "y",
            "predicted_label": "p",
            "label_values_or_threshold": [1],
            "facet": [{"name_or_index": "s", "value_or_threshold": [0]}],
            "methods": {"post_training_bias": {"methods": ["DI", "DPPL", "RD", "DAR"]}},
        }
    )
    rng = np.random.default_rng(11)

    def window(rows: int) -> pa.Table:
        s = (rng.random(rows) < 0.65).astype(np.int64)
        y = (rng.random(rows) < 0.4).astype(np.int64)
        p = (rng.random(rows) < np.where(s == 0, 0.30, 0.45)).astype(np.int64)
        return pa.table({"s": s, "y": y, "p": p})

    result = analysed(synthetic, window(20_000))
    plain = analysis_document(result)
    widened = noise_aware_constraints(result, WindowNoise(1000))
    found = {"plain": 0, "noise-aware": 0}
    for _ in range(200):
        current = analysis_document(analysed(synthetic, window(1000), strict=False))
        found["plain"] += bool(check_bias_drift(current, plain))
        found["noise-aware"] += bool(check_bias_drift(current, widened))
    assert found["plain"] >= 150
    assert found["noise-aware"] <= 10  # 4 checks × 0.1 %: about 1 of 200 expected


# -------------------------------------------------------------------------------------- DI


def test_di_collapsing_to_zero_is_flagged_by_the_ideal_rule_only(
    credit: GermanCredit, config: AnalysisConfig, baseline: AnalysisResult, widened: dict[str, Any]
) -> None:
    key = ("post_training_bias_metrics", "sex", 0, "DI")
    di = values(analysis_document(baseline))[key]
    limit = values(widened)[key]
    assert di is not None
    assert limit is not None
    assert 0.8 < di < 1 < 1 + abs(di - 1) < limit < 2  # ideal + allowed, above 1
    # Every good prediction of a woman turned bad: DI = 0.
    rows = np.random.default_rng(5).integers(0, len(credit), size=400)
    predicted = credit.predicted_good[rows] & ~credit.female[rows]
    current = analysis_document(
        analysed(config, reference_table(credit, rows, predicted_good=predicted), strict=False)
    )
    assert values(current)[key] == 0

    def di_flagged(rule: str) -> bool:
        found = check_bias_drift(current, widened, ViolationRules(rule=rule))
        return any(v.metric_name == "DI" and v.facet == "sex" for v in found)

    assert not di_flagged("sagemaker")  # SageMaker's rule compares sizes: |0| ≤ |limit|
    assert di_flagged("ideal")  # |0 − 1| > limit − 1
    # Above 1 + allowed, both rules flag it; within [1 − allowed, 1 + allowed], neither.
    entry: dict[str, Any] = {"value_or_threshold": "0", "metrics": [{"name": "DI", "value": None}]}
    for value, flagged in ((limit + 0.01, True), (2 - limit + 0.01, False), (1.0, False)):
        entry["metrics"][0]["value"] = value
        window = {"post_training_bias_metrics": {"facets": {"sex": [entry]}}}
        for rule in ("sagemaker", "ideal"):
            assert bool(check_bias_drift(window, widened, ViolationRules(rule=rule))) is flagged
    entry["metrics"][0]["value"] = 2 - limit - 0.01  # below 1 − allowed
    window = {"post_training_bias_metrics": {"facets": {"sex": [entry]}}}
    assert check_bias_drift(window, widened, ViolationRules(rule="ideal"))
    assert not check_bias_drift(window, widened)


def test_a_baseline_di_above_one_also_gets_one_plus_its_noise() -> None:
    rng = np.random.default_rng(1)
    cells = np.zeros((1, 2, 2, 2), dtype=np.int64)
    cells[0, 0] = [[300, 100], [100, 100]]  # a: 200 of 600 predicted positive
    cells[0, 1] = [[100, 100], [50, 150]]  # d: 250 of 400: DI 1.875
    counts = CountTensor(cells[:, ::-1].copy())  # facet code 0 is d
    result = _result(counts, {MetricCode.DI: MetricValue(1.875)})
    document = noise_aware_constraints(result, WindowNoise(200, seed=int(rng.integers(100))))
    limit = document["post_training_bias_metrics"]["facets"]["s"][0]["metrics"][0]["value"]
    assert limit > 1.875


def test_draws_in_chunks_change_nothing(
    baseline: AnalysisResult, widened: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory is bounded by drawing in chunks (many groups); the draws are the same."""
    import biaswatch.constraints.noise as noise

    monkeypatch.setattr(noise, "_CHUNK_CELLS", 1000)  # 24 cells: chunks of 41 windows
    assert noise_aware_constraints(baseline, WindowNoise(400)) == widened
