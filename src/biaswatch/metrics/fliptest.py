"""The flip test (FT): the one metric that needs the feature rows, not just counts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from biaswatch.metrics._divide import divide
from biaswatch.metrics._zorder import z_order
from biaswatch.metrics.value import MetricValue

__all__ = ["FT_UNAVAILABLE", "ft", "ft_available"]

FT_UNAVAILABLE = "FT needs scikit-learn: pip install 'biaswatch[ft]'"

# Clarify's kNN settings: five neighbours, one when a has at most this many rows.
_NEIGHBOURS = 5
_FEW_ROWS = 9


def ft_available() -> bool:
    """Whether scikit-learn, which FT needs, can be imported."""
    try:
        import sklearn.neighbors  # noqa: F401
    except ImportError:
        return False
    return True


def ft(
    features: npt.NDArray[np.float64] | None,
    *,
    sensitive: npt.NDArray[np.bool_],
    predicted: npt.NDArray[np.bool_],
    n_jobs: int | None = -1,
) -> MetricValue:
    r"""Flip Test (FT): how *d*'s predictions change if judged like their nearest *a* rows.

    A k-nearest-neighbours classifier (Euclidean, unscaled; k = 5, or 1 when *a* has at most
    nine rows) is fitted on *a*'s feature rows with the model's predictions as targets, then
    predicts each *d* row. :math:`FT = (F^+ - F^-) / n_d`, where :math:`F^+` counts *d* rows the
    model accepts but their *a* neighbours would not, and :math:`F^-` the reverse. Range
    ``[-1, 1]``; 0 means *d* is treated like similar *a* rows. scikit-learn's
    ``KNeighborsClassifier`` is called with Clarify's exact parameters, so neighbour ties fall
    the same way; ``n_jobs`` only spreads the queries over cores.

    ``features`` is ``None`` when a feature column is not numeric, which is an error here, as in
    Clarify (checked after the facet's emptiness).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [10.0], [11.0], [0.5], [10.5]])
    >>> d = np.array([False, False, False, False, True, True])
    >>> yhat = np.array([False, False, True, True, True, False])
    >>> ft(x, sensitive=d, predicted=yhat).value
    0.0
    """
    n_d = int(sensitive.sum())
    if n_d == 0:
        return MetricValue.failed("Facet set is empty")
    if n_d == len(sensitive):
        return MetricValue.failed("Negated Facet set is empty")
    if features is None:
        return MetricValue.failed("FlipTest does not support non-numeric columns")
    if not ft_available():
        return MetricValue.failed(FT_UNAVAILABLE)
    from sklearn.neighbors import KNeighborsClassifier

    advantaged = ~sensitive
    n_neighbors = _NEIGHBOURS if len(sensitive) - n_d > _FEW_ROWS else 1
    knn = KNeighborsClassifier(
        n_neighbors=n_neighbors,
        weights="uniform",
        algorithm="auto",
        leaf_size=30,
        p=2,
        metric="minkowski",
        metric_params=None,
        n_jobs=n_jobs,
    )
    queries, model = features[sensitive], predicted[sensitive]
    answer_of: npt.NDArray[np.intp] | None = None
    if np.isfinite(queries).all():
        # A query's answer depends on the query alone, and FT only counts flips: each distinct
        # d row is asked once (rows repeat: Adult's people share their few integer features),
        # in a cache-friendly order; every row then takes its distinct row's answer.
        queries, distinct = np.unique(queries, axis=0, return_inverse=True)
        order = z_order(queries)
        queries = queries[order]
        answer_of = np.argsort(order)[distinct.reshape(-1)]
    try:
        knn.fit(features[advantaged], predicted[advantaged])
        answers = np.asarray(knn.predict(queries), dtype=bool)
    except ValueError as exc:
        # sklearn's own input checks (NaN, no columns): Clarify reports their message.
        return MetricValue.failed(str(exc))
    as_if_advantaged = answers if answer_of is None else answers[answer_of]
    flipped_up = int(np.count_nonzero(model & ~as_if_advantaged))
    flipped_down = int(np.count_nonzero(~model & as_if_advantaged))
    return MetricValue(divide(flipped_up - flipped_down, n_d))
