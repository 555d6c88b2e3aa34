"""The injected bias: women's scores scaled from the start time on, nobody else's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from biaswatch.demo.bias import BiasInjection
from biaswatch.errors import ConfigError

START = datetime(2026, 11, 23, 16, tzinfo=UTC)
ROWS = np.array([[30, 13, 0, 0, 40, 0, 0, 1], [30, 13, 0, 0, 40, 1, 0, 1]])  # a woman, a man


def test_scores_change_only_for_women_from_the_start() -> None:
    bias = BiasInjection(START, factor=0.5)
    scores = np.array([0.9, 0.9])
    assert bias.apply(scores, ROWS, START - timedelta(microseconds=1)).tolist() == [0.9, 0.9]
    assert bias.apply(scores, ROWS, START).tolist() == [0.45, 0.9]
    assert not bias.active(START - timedelta(seconds=1))
    assert bias.active(START + timedelta(hours=7))


def test_with_the_default_factor_no_woman_passes_the_threshold() -> None:
    scores = np.linspace(0.0, 1.0, 101)
    women = np.zeros((101, 8), dtype=np.int64)
    assert not (BiasInjection(START).apply(scores, women, START) > 0.5).any()


@pytest.mark.parametrize(
    ("start", "factor", "field"),
    [(START.replace(tzinfo=None), 0.5, "start"), (START, 1.5, "factor"), (START, -0.1, "factor")],
)
def test_invalid_settings(start: datetime, factor: float, field: str) -> None:
    with pytest.raises(ConfigError) as raised:
        BiasInjection(start, factor)
    assert raised.value.field == field
