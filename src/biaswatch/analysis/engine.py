"""The local analysis engine: a dataset and a config in, every requested metric out.

One pass per facet builds a count tensor from per-row codes; every metric but FT is then
derived from the counts. FT is fitted on the feature rows, as Clarify does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt

from biaswatch.analysis.dataset import Dataset
from biaswatch.analysis.facets import FacetAxis, encode_facet
from biaswatch.analysis.intersections import combine_facets, single
from biaswatch.analysis.outcomes import (
    Outcome,
    binarize_label,
    binarize_predicted,
    binarize_scores,
)
from biaswatch.analysis.result import AnalysisResult, FacetResult, MetricResult, StageResult
from biaswatch.config import AnalysisConfig, StageMethods
from biaswatch.errors import ConfigError, UnknownMetricError
from biaswatch.metrics import (
    REGISTRY,
    CountTensor,
    FacetCounts,
    MetricCode,
    MetricSpec,
    MetricValue,
    Stage,
    ft,
    metrics_of,
)
from biaswatch.metrics.bootstrap import DEFAULT_LEVEL, DEFAULT_RESAMPLES, bootstrap_intervals

__all__ = ["IntervalOptions", "analyze", "requested_metrics", "with_intervals"]

BoolArray = npt.NDArray[np.bool_]
Features = npt.NDArray[np.float64] | None

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Groups:
    """Group codes in sorted-value order (``np.unique``), with a missing group last."""

    codes: npt.NDArray[np.integer[Any]] | None
    size: int
    grouped: bool
    missing: bool


def requested_metrics(methods: StageMethods | None, stage: Stage) -> tuple[MetricSpec, ...]:
    """The metrics a stage's ``methods`` asks for, sorted by code; none when it is absent."""
    if methods is None:
        return ()
    if methods.methods == "all":
        return metrics_of(stage)
    field = f"methods.{stage.value}_bias.methods"
    specs = []
    for code in methods.methods:
        spec = REGISTRY.get(MetricCode(code)) if code in MetricCode.__members__ else None
        if spec is None or spec.stage is not stage:
            raise UnknownMetricError(
                f"{field}: {code!r} is not a {stage.value.replace('_', '-')} metric; choose from"
                f" {', '.join(s.code for s in metrics_of(stage))}",
                field=field,
                value=code,
            )
        specs.append(spec)
    return tuple(sorted(set(specs), key=lambda s: s.code))


def analyze(
    dataset: Dataset,
    config: AnalysisConfig,
    *,
    strict: bool = True,
    ft_jobs: int | None = -1,
    ft_rows: Dataset | None = None,
    intervals: IntervalOptions | None = None,
) -> AnalysisResult:
    """Compute the configured bias metrics of ``dataset``, exactly as Clarify would.

    With ``strict`` (for a dataset a person chose: ``analyze``, baselines), configured label or
    facet values that match no row, or a facet threshold above every value, are an error;
    without it (monitoring windows, where a small
    hour may lack a group) they give Clarify's per-metric "Facet set is empty" errors.
    ``ft_jobs`` is the number of cores FT's neighbour search may use (the result is the same).

    An aggregated ``dataset`` (with weights) has no feature rows: FT is then computed on
    ``ft_rows``, rows of the same data (a sample, or all of them), or reported as an error.
    ``intervals`` adds a bootstrap confidence interval to every count-based metric.
    """
    if ft_rows is not None:
        ft_rows = combine_facets(ft_rows, config)[0]
    dataset, config, parts = combine_facets(dataset, config)
    pre = requested_metrics(config.methods.pre_training_bias, Stage.PRE_TRAINING)
    post = requested_metrics(config.methods.post_training_bias, Stage.POST_TRAINING)
    if post and not config.predicts:
        config.refuse_predictor_block("post-training metrics")
        raise ConfigError(
            "methods.post_training_bias needs the model's output: set 'predicted_label' or"
            " 'probability'",
            field="methods.post_training_bias",
        )
    if config.predictor_block is not None:
        source = dataset.predicted_label or dataset.probability
        log.info(
            "the analysis config's 'predictor' block (a SageMaker model) is ignored: %s",
            f"the predictions come from the dataset's column {source!r}"
            if post
            else "no post-training metric is asked for",
        )
    values = config.label_values_or_threshold
    label = binarize_label(dataset.column(dataset.label), values, strict=strict)
    predicted = _predicted(dataset, config, label) if post else None
    groups = _groups(dataset, config)

    pre_facets: dict[str, tuple[FacetResult, ...]] = {}
    post_facets: dict[str, tuple[FacetResult, ...]] = {}
    for index, facet_config in enumerate(config.facet):
        name = dataset.resolve(single(facet_config), field=f"facet[{index}].name_or_index")
        axis = encode_facet(
            dataset.column(name),
            facet_config,
            field=f"facet[{index}].value_or_threshold",
            strict=strict,
        )
        tensor = CountTensor.from_codes(
            group=groups.codes,
            facet=axis.codes,
            label=label.positive,
            predicted=predicted,
            n_groups=groups.size,
            n_facet_values=axis.n_codes,
            grouped=groups.grouped,
            missing_group=groups.missing,
            weights=dataset.weights,
        )
        if pre:
            pre_facets[name] = pre_facets.get(name, ()) + _facet_results(axis, tensor, pre)
        if post:
            assert predicted is not None
            if dataset.weights is None:
                excluded = {name, *parts.get(name, ())}
                features = _lazy_features(dataset, config, exclude=excluded)
                flip = _flip_test(axis, predicted, features, ft_jobs)
            else:
                flip = _sampled_flip_test(ft_rows, config, index, axis, ft_jobs, parts)
            post_facets[name] = post_facets.get(name, ()) + _facet_results(
                axis, tensor, post, flip=flip
            )

    label_values = ",".join(str(v) for v in values)

    def stage(kind: Stage, facets: dict[str, tuple[FacetResult, ...]]) -> StageResult:
        return StageResult(kind, dataset.label, label_values, facets)

    result = AnalysisResult(
        rows=dataset.rows,
        pre_training=stage(Stage.PRE_TRAINING, pre_facets) if pre else None,
        post_training=stage(Stage.POST_TRAINING, post_facets) if post else None,
    )
    return with_intervals(result, intervals) if intervals is not None else result


@dataclass(frozen=True, slots=True)
class IntervalOptions:
    """Bootstrap confidence intervals: the level and the number of resamples."""

    level: float = DEFAULT_LEVEL
    resamples: int = DEFAULT_RESAMPLES
    seed: int = 0


def with_intervals(result: AnalysisResult, options: IntervalOptions) -> AnalysisResult:
    """``result`` with a bootstrap interval on each count-based metric (FT has none)."""

    def entry(facet: FacetResult) -> FacetResult:
        kernels = {
            m.code: kernel
            for m in facet.metrics
            if (kernel := REGISTRY[m.code].kernel) is not None and m.value.defined
        }
        found = bootstrap_intervals(
            facet.counts,
            kernels,
            resamples=options.resamples,
            level=options.level,
            seed=options.seed,
        )
        metrics = tuple(replace(m, interval=found.get(m.code)) for m in facet.metrics)
        return replace(facet, metrics=metrics)

    def stage(part: StageResult | None) -> StageResult | None:
        if part is None:
            return None
        facets = {name: tuple(entry(f) for f in entries) for name, entries in part.facets.items()}
        return replace(part, facets=facets)

    return replace(
        result,
        pre_training=stage(result.pre_training),
        post_training=stage(result.post_training),
        interval_level=options.level,
        interval_resamples=options.resamples,
    )


def _predicted(dataset: Dataset, config: AnalysisConfig, label: Outcome) -> BoolArray:
    """The positive-prediction mask: the predicted label, or the score above the threshold."""
    if dataset.predicted_label is not None:
        column = dataset.column(dataset.predicted_label)
        threshold = float(config.probability_threshold) if config.threshold_is_set else None
        return binarize_predicted(
            column, config.label_values_or_threshold, label, threshold=threshold
        )
    assert dataset.probability is not None
    return binarize_scores(dataset.column(dataset.probability), float(config.probability_threshold))


def _facet_results(
    axis: FacetAxis,
    tensor: CountTensor,
    specs: tuple[MetricSpec, ...],
    *,
    flip: Callable[[int], MetricValue] | None = None,
) -> tuple[FacetResult, ...]:
    results = []
    for position, entry in enumerate(axis.entries):
        counts: FacetCounts = tensor.facet(entry.sensitive)
        metrics = []
        for spec in specs:
            if spec.kernel is not None:
                value = spec.kernel(counts)
            else:
                assert flip is not None
                value = flip(position)
            metrics.append(MetricResult(spec.code, spec.description, value))
        results.append(FacetResult(entry.value_or_threshold, tuple(metrics), counts))
    return tuple(results)


def _flip_test(
    axis: FacetAxis, predicted: BoolArray, features: Callable[[], Features], jobs: int | None
) -> Callable[[int], MetricValue]:
    def run(position: int) -> MetricValue:
        return ft(
            features(),
            sensitive=axis.sensitive_mask(axis.entries[position]),
            predicted=predicted,
            n_jobs=jobs,
        )

    return run


def _sampled_flip_test(
    rows: Dataset | None,
    config: AnalysisConfig,
    index: int,
    axis: FacetAxis,
    jobs: int | None,
    parts: dict[str, tuple[str, ...]],
) -> Callable[[int], MetricValue]:
    """FT of an aggregated dataset, on ``rows`` of it; entries are matched by their label."""
    if rows is None:
        return lambda _: MetricValue.failed("FT needs the feature rows, which were not kept")
    facet_config = config.facet[index]
    name = rows.resolve(single(facet_config), field=f"facet[{index}].name_or_index")
    sampled = encode_facet(
        rows.column(name), facet_config, field=f"facet[{index}].value_or_threshold", strict=False
    )
    label = binarize_label(rows.column(rows.label), config.label_values_or_threshold, strict=False)
    predicted = _predicted(rows, config, label)
    positions = {entry.value_or_threshold: i for i, entry in enumerate(sampled.entries)}
    continuous = len(axis.entries) == len(sampled.entries) == 1
    excluded = {name, *parts.get(name, ())}
    flip = _flip_test(sampled, predicted, _lazy_features(rows, config, exclude=excluded), jobs)

    def run(position: int) -> MetricValue:
        wanted = axis.entries[position].value_or_threshold
        found = 0 if continuous else positions.get(wanted)
        if found is None:
            return MetricValue.failed(f"facet value {wanted} is not in FT's sample of rows")
        return flip(found)

    return run


def _lazy_features(
    dataset: Dataset, config: AnalysisConfig, *, exclude: set[str]
) -> Callable[[], Features]:
    """FT's feature matrix, built on first use: every column but the facet, label and outputs.

    ``None`` when a feature column is not numeric (FT then reports Clarify's error).
    """
    cache: list[Features] = []

    def build() -> Features:
        if not cache:
            excluded = {*exclude, dataset.label, dataset.predicted_label, dataset.probability}
            for ref in config.excluded_columns or ():
                excluded.add(dataset.resolve(ref, field="excluded_columns"))
            columns = [
                dataset.column(name) for name in dataset.table.column_names if name not in excluded
            ]
            if not all(column.kind.numeric for column in columns):
                cache.append(None)
            elif not columns:
                cache.append(np.empty((dataset.rows, 0)))
            else:
                cache.append(
                    np.column_stack([column.numbers().astype(np.float64) for column in columns])
                )
        return cache[0]

    return build


def _groups(dataset: Dataset, config: AnalysisConfig) -> _Groups:
    if config.group_variable is None:
        return _Groups(None, 1, grouped=False, missing=False)
    name = dataset.resolve(config.group_variable, field="group_variable")
    factorized = dataset.column(name).factorize()
    present = sorted(
        (value, code) for code, value in enumerate(factorized.uniques) if value is not None
    )
    rank = np.full(len(factorized.uniques), len(present), dtype=np.int32)
    for position, (_, code) in enumerate(present):
        rank[code] = position
    missing = len(present) < len(factorized.uniques)
    return _Groups(rank[factorized.codes], len(factorized.uniques), grouped=True, missing=missing)
