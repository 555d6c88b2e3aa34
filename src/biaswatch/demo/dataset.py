"""The demo's data: UCI Adult as a few integer features, the income label, and a fixed split.

The bundled file is UCI's ``adult.data`` (32,561 people from the 1994 US census), gzipped
unchanged. Each person becomes eight integers, the request an endpoint scores:

===================  ==========================================================
``age``              years
``education-num``    years of education (1 to 16)
``capital-gain``     dollars
``capital-loss``     dollars
``hours-per-week``   hours worked per week
``sex``              0 = Female, 1 = Male (the facet: *d* is ``sex`` = 0)
``married``          1 when married (civilian or armed-forces spouse)
``professional``     1 for executive/managerial and professional-specialty jobs
===================  ==========================================================

The label ``income`` is 1 for more than 50K dollars a year.
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from biaswatch.errors import DataError, StorageError
from biaswatch.examples import example_path

__all__ = [
    "FEATURES",
    "FEMALE",
    "LABEL",
    "SEX",
    "AdultData",
    "Split",
    "encode_person",
    "load_adult",
    "split_rows",
]

IntArray = npt.NDArray[np.int64]

FEATURES = (
    "age",
    "education-num",
    "capital-gain",
    "capital-loss",
    "hours-per-week",
    "sex",
    "married",
    "professional",
)
LABEL = "income"
SEX = FEATURES.index("sex")
FEMALE = 0

_FIELDS = 15  # adult.data's columns, the income last
_MARRIED = frozenset({"Married-civ-spouse", "Married-AF-spouse"})
_PROFESSIONAL = frozenset({"Exec-managerial", "Prof-specialty"})


def _bundled_file() -> Path:
    return example_path("adult") / "adult.data.gz"


@dataclass(frozen=True, slots=True)
class AdultData:
    """People as rows of :data:`FEATURES` (``features``) and their income label (``labels``)."""

    features: IntArray
    labels: IntArray

    def __len__(self) -> int:
        return int(self.labels.shape[0])


def encode_person(fields: list[str]) -> tuple[list[int], int]:
    """One line of ``adult.data``, split on commas, as (features, label).

    Raises
    ------
    ValueError
        If the line does not have Adult's 15 fields or a number is not an integer.

    Examples
    --------
    >>> line = ("39, State-gov, 77516, Bachelors, 13, Never-married, Adm-clerical,"
    ...         " Not-in-family, White, Male, 2174, 0, 40, United-States, <=50K")
    >>> encode_person(line.split(","))
    ([39, 13, 2174, 0, 40, 1, 0, 0], 0)
    """
    if len(fields) != _FIELDS:
        raise ValueError(f"{len(fields)} fields instead of {_FIELDS}")
    (age, _, _, _, education, marital, occupation, _, _, sex, gain, loss, hours, _, income) = (
        field.strip() for field in fields
    )
    features = [
        int(age),
        int(education),
        int(gain),
        int(loss),
        int(hours),
        int(sex == "Male"),
        int(marital in _MARRIED),
        int(occupation in _PROFESSIONAL),
    ]
    return features, int(income.rstrip(".") == ">50K")


def load_adult(path: Path | None = None) -> AdultData:
    """Read ``adult.data`` (gzipped or not; default: the bundled copy).

    Raises
    ------
    StorageError
        If the file cannot be read.
    DataError
        If a line is not an Adult record (``path`` and ``line`` say where).
    """
    path = path or _bundled_file()
    try:
        raw = path.read_bytes()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("ascii")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise StorageError(f"cannot read the Adult data {str(path)!r}: {exc}") from exc
    features: list[list[int]] = []
    labels: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row, label = encode_person(line.split(","))
        except ValueError as exc:
            raise DataError(
                f"{path}:{number} is not an Adult record: {exc}", path=str(path), line=number
            ) from exc
        features.append(row)
        labels.append(label)
    return AdultData(np.array(features, dtype=np.int64), np.array(labels, dtype=np.int64))


@dataclass(frozen=True, slots=True)
class Split:
    """Disjoint row numbers: to train the model, for the baseline, and to draw traffic from."""

    train: IntArray
    reference: IntArray
    traffic: IntArray


def split_rows(rows: int, *, train: int, reference: int, seed: int) -> Split:
    """Shuffle ``range(rows)`` with ``seed`` and cut it into train, reference and traffic.

    Raises
    ------
    DataError
        If ``train + reference`` leaves no rows for the traffic.

    Examples
    --------
    >>> split = split_rows(10, train=5, reference=3, seed=0)
    >>> len(split.train), len(split.reference), len(split.traffic)
    (5, 3, 2)
    >>> sorted([*split.train, *split.reference, *split.traffic]) == list(range(10))
    True
    """
    if train <= 0 or reference <= 0 or train + reference >= rows:
        raise DataError(
            f"cannot split {rows} rows into {train} to train, {reference} for the baseline"
            " and some for the traffic",
            field="rows",
            value=rows,
        )
    order = np.random.default_rng(seed).permutation(rows).astype(np.int64)
    return Split(order[:train], order[train : train + reference], order[train + reference :])
