"""The demo's model: a scikit-learn logistic regression on standardised features.

It scores the probability that a person earns more than 50K dollars a year; a score above
:data:`THRESHOLD` is a positive prediction (the monitor's ``probability_threshold_attribute``
and the baseline's ``probability_threshold``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from biaswatch.demo.dataset import AdultData

__all__ = ["THRESHOLD", "IncomeModel", "train_model"]

THRESHOLD = 0.5

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class IncomeModel:
    """A fitted scikit-learn pipeline (scaler, then logistic regression) and its threshold."""

    pipeline: Any
    threshold: float = THRESHOLD

    def scores(self, rows: npt.ArrayLike) -> FloatArray:
        """The probability of the positive class for each row of features."""
        import sklearn

        # The rows are the demo's own integers: skip scikit-learn's finiteness scan, which
        # costs more than the prediction on one row.
        with sklearn.config_context(assume_finite=True):
            probabilities = self.pipeline.predict_proba(np.asarray(rows, dtype=np.float64))
        return np.asarray(probabilities[:, 1], dtype=np.float64)

    def predict(self, rows: npt.ArrayLike) -> IntArray:
        """The predicted label of each row: 1 when its score is above the threshold."""
        return (self.scores(rows) > self.threshold).astype(np.int64)


def train_model(data: AdultData, rows: IntArray, *, seed: int) -> IncomeModel:
    """Fit the model on the people ``rows`` of ``data`` (deterministic for a given seed)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed))
    pipeline.fit(data.features[rows].astype(np.float64), data.labels[rows])
    return IncomeModel(pipeline)
