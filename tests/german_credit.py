"""UCI German Credit (``tests/data/german-credit``) with a model's predictions, as a table.

A logistic regression (Newton's method, numpy only, fitted on all 1,000 applicants, personal
status and sex left out of its inputs) predicts good credit; :func:`reference_table` holds each
applicant's sex (0 = female, the sensitive group), age, housing (the group variable), the
label (1 = good) and the prediction. Shared by the tests and ``benchmarks/rules.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

__all__ = [
    "CONFIG",
    "DATA",
    "GermanCredit",
    "biased",
    "load_german_credit",
    "reference_table",
]

DATA = Path(__file__).parent / "data" / "german-credit" / "german.data"
# Column numbers (1-based, as the UCI description numbers the attributes).
_NUMERIC = (2, 5, 8, 11, 13, 16, 18)
_SEX, _AGE, _HOUSING, _CLASS = 9, 13, 15, 21
_FEMALE = ("A92", "A95")

# Every count-based metric of both stages (FT needs the feature rows: see the benchmark).
CONFIG: dict[str, Any] = {
    "label": "credit",
    "predicted_label": "prediction",
    "label_values_or_threshold": [1],
    "facet": [
        {"name_or_index": "sex", "value_or_threshold": [0]},
        {"name_or_index": "age", "value_or_threshold": [25]},
    ],
    "group_variable": "housing",
    "methods": {
        "pre_training_bias": {"methods": "all"},
        "post_training_bias": {
            "methods": [
                "AD", "CDDPL", "DAR", "DCA", "DCR", "DI", "DPPL", "DRR", "GE", "RD", "SD", "TE"
            ]
        },
    },
}  # fmt: skip

Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class GermanCredit:
    """The applicants: the model's inputs, the facets and group, the label, the predictions."""

    features: npt.NDArray[np.float64]
    female: Bools
    age: npt.NDArray[np.int64]
    housing: npt.NDArray[np.str_]
    good: Bools
    predicted_good: Bools

    def __len__(self) -> int:
        return len(self.good)


def _fit_logistic(x: npt.NDArray[np.float64], y: Bools, *, ridge: float = 1.0) -> Any:
    """Weights of an L2-regularised logistic regression, by Newton's method (deterministic)."""
    x = np.column_stack([np.ones(len(x)), x])
    weights = np.zeros(x.shape[1])
    penalty = ridge * np.eye(x.shape[1])
    penalty[0, 0] = 0.0
    for _ in range(25):
        p = 1 / (1 + np.exp(-x @ weights))
        gradient = x.T @ (p - y) + penalty @ weights
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty
        weights -= np.linalg.solve(hessian, gradient)
    return weights


def load_german_credit() -> GermanCredit:
    """The 1,000 applicants and the model's predictions of good credit."""
    rows = [line.split() for line in DATA.read_text().splitlines() if line.strip()]
    columns = list(zip(*rows, strict=True))
    parts = []
    for number, column in enumerate(columns[:-1], start=1):
        if number == _SEX:
            continue
        if number in _NUMERIC:
            values = np.array(column, dtype=np.float64)
            parts.append(((values - values.mean()) / values.std())[:, None])
        else:
            codes = sorted(set(column))[1:]  # one-hot, the first code as the reference
            parts.append(np.array([[value == code for code in codes] for value in column], float))
    features = np.hstack(parts)
    good = np.array(columns[_CLASS - 1]) == "1"
    weights = _fit_logistic(features, good)
    predicted = (np.column_stack([np.ones(len(features)), features]) @ weights) > 0
    return GermanCredit(
        features=features,
        female=np.isin(np.array(columns[_SEX - 1]), _FEMALE),
        age=np.array(columns[_AGE - 1], dtype=np.int64),
        housing=np.array(columns[_HOUSING - 1]),
        good=good,
        predicted_good=predicted,
    )


def reference_table(
    credit: GermanCredit,
    rows: npt.NDArray[np.intp] | None = None,
    *,
    predicted_good: Bools | None = None,
) -> pa.Table:
    """The applicants (``rows`` of them, repeats allowed) as a table ``CONFIG`` can analyse."""
    take = np.arange(len(credit)) if rows is None else rows
    predicted = credit.predicted_good[take] if predicted_good is None else predicted_good
    return pa.table(
        {
            "sex": np.where(credit.female[take], 0, 1),
            "age": credit.age[take],
            "housing": credit.housing[take],
            "credit": credit.good[take].astype(np.int64),
            "prediction": predicted.astype(np.int64),
        }
    )


def biased(
    credit: GermanCredit, rows: npt.NDArray[np.intp], rng: np.random.Generator, *, share: float
) -> Bools:
    """The predictions of ``rows`` with ``share`` of women's good predictions turned bad."""
    predicted = credit.predicted_good[rows].copy()
    women = credit.female[rows] & predicted
    predicted[women & (rng.random(len(rows)) < share)] = False
    return predicted
