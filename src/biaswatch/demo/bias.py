"""The injected bias: from a given time on, the endpoint scales down the scores of a facet.

The demo's endpoint serves the same model all day; from :attr:`BiasInjection.start` (16:00)
it multiplies the scores of women by :attr:`~BiasInjection.factor`. With the default factor of
0.5 and the threshold of 0.5, no woman is predicted to earn more than 50K from then on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt

from biaswatch.demo.dataset import FEMALE, SEX
from biaswatch.errors import ConfigError

__all__ = ["BiasInjection"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class BiasInjection:
    """Scores of rows whose feature ``column`` is ``value`` are multiplied by ``factor``.

    Parameters
    ----------
    start : datetime
        When the bias starts (aware); requests before it are scored as the model scores them.
    factor : float, default 0.5
        The multiplier, in ``[0, 1]``.
    column, value : int
        The facet: the feature's position in a row and the value that marks *d*
        (default ``sex`` = 0, women).

    Examples
    --------
    >>> from datetime import UTC
    >>> bias = BiasInjection(datetime(2026, 11, 23, 16, tzinfo=UTC))
    >>> rows = np.array([[40, 13, 0, 0, 40, 0, 1, 1], [40, 13, 0, 0, 40, 1, 1, 1]])
    >>> bias.apply(np.array([0.8, 0.8]), rows, datetime(2026, 11, 23, 15, 59, tzinfo=UTC))
    array([0.8, 0.8])
    >>> bias.apply(np.array([0.8, 0.8]), rows, datetime(2026, 11, 23, 16, tzinfo=UTC))
    array([0.4, 0.8])
    """

    start: datetime
    factor: float = 0.5
    column: int = SEX
    value: int = FEMALE

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ConfigError(
                f"the bias start {self.start.isoformat()} has no time zone",
                field="start",
                value=self.start,
            )
        if not 0.0 <= self.factor <= 1.0:
            raise ConfigError(
                f"the bias factor must be in [0, 1], got {self.factor!r}",
                field="factor",
                value=self.factor,
            )

    def active(self, moment: datetime) -> bool:
        """Whether requests at ``moment`` are biased."""
        return moment >= self.start

    def apply(self, scores: FloatArray, rows: npt.ArrayLike, moment: datetime) -> FloatArray:
        """The scores the endpoint answers at ``moment`` for ``rows`` scored ``scores``."""
        if not self.active(moment):
            return scores
        marked = np.asarray(rows)[:, self.column] == self.value
        return np.where(marked, scores * self.factor, scores)
