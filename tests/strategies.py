"""Hypothesis strategies: per-row codes of a small dataset, and count tensors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from hypothesis import strategies as st

from biaswatch.metrics import CountTensor


@dataclass(frozen=True)
class Codes:
    """Per-row codes, as the analysis engine hands them to ``CountTensor.from_codes``."""

    group: npt.NDArray[np.intp] | None
    facet: npt.NDArray[np.intp]
    label: npt.NDArray[np.bool_]
    predicted: npt.NDArray[np.bool_]
    n_groups: int
    n_facet_values: int
    missing_group: bool = False

    def group_of(self, row: int) -> int | None:
        """The row's group, or None where the last group code stands for a missing value."""
        if self.group is None:
            return None
        code = int(self.group[row])
        return None if self.missing_group and code == self.n_groups - 1 else code

    def tensor(self) -> CountTensor:
        return CountTensor.from_codes(
            group=self.group,
            facet=self.facet,
            label=self.label,
            predicted=self.predicted,
            n_groups=self.n_groups,
            n_facet_values=self.n_facet_values,
            grouped=self.group is not None,
            missing_group=self.missing_group,
        )

    def take(self, order: npt.NDArray[np.intp]) -> Codes:
        return Codes(
            None if self.group is None else self.group[order],
            self.facet[order],
            self.label[order],
            self.predicted[order],
            self.n_groups,
            self.n_facet_values,
            self.missing_group,
        )


@st.composite
def codes(
    draw: st.DrawFn,
    *,
    min_rows: int = 0,
    max_rows: int = 60,
    n_facet_values: int | None = None,
    n_groups: int | None = None,
) -> Codes:
    """Rows with small facet and group alphabets, so that empty cells and ties are common."""
    rows = draw(st.integers(min_rows, max_rows))
    facets = n_facet_values or draw(st.integers(1, 4))
    groups = n_groups if n_groups is not None else draw(st.integers(0, 3))
    ints = st.lists(st.integers(0, facets - 1), min_size=rows, max_size=rows)
    bools = st.lists(st.booleans(), min_size=rows, max_size=rows)
    group = (
        np.array(draw(st.lists(st.integers(0, groups - 1), min_size=rows, max_size=rows)), np.intp)
        if groups
        else None
    )
    return Codes(
        group,
        np.array(draw(ints), dtype=np.intp),
        np.array(draw(bools), dtype=bool),
        np.array(draw(bools), dtype=bool),
        max(groups, 1),
        facets,
        missing_group=bool(groups) and draw(st.booleans()),
    )


def split(draw: Callable[[st.SearchStrategy[int]], int], data: Codes) -> tuple[Codes, Codes]:
    """Cut the rows in two at a drawn position."""
    cut = draw(st.integers(0, len(data.facet)))
    first = np.arange(cut, dtype=np.intp)
    second = np.arange(cut, len(data.facet), dtype=np.intp)
    return data.take(first), data.take(second)
