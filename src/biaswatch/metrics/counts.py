"""The count tensor: every metric but the flip test is a function of it.

``CountTensor.cells[g, f, y, ŷ]`` counts the rows of group ``g`` whose facet value has code
``f``, whose label is positive (``y = 1``) or not, and whose prediction is positive
(``ŷ = 1``) or not. Counting is one pass over the rows, and tensors from two chunks, partitions
or hours add up with ``+``. ``FacetCounts`` is the binary view one facet entry needs: the
sensitive side *d* against the rest *a*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

__all__ = ["Confusion", "CountTensor", "FacetCounts"]

IntArray = npt.NDArray[np.int64]
_CHUNK = 1 << 20
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True, slots=True)
class Confusion:
    """Counts of one side (*a* or *d*) of a facet, as Python integers."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def n(self) -> int:
        """Rows on this side."""
        return self.tp + self.fp + self.fn + self.tn

    @property
    def label_positive(self) -> int:
        """Rows whose label is positive, ``n(1)``."""
        return self.tp + self.fn

    @property
    def label_negative(self) -> int:
        """Rows whose label is negative, ``n(0)``."""
        return self.tn + self.fp

    @property
    def predicted_positive(self) -> int:
        """Rows predicted positive, ``n̂(1)``."""
        return self.tp + self.fp

    @property
    def predicted_negative(self) -> int:
        """Rows predicted negative, ``n̂(0)``."""
        return self.tn + self.fn

    @classmethod
    def from_cells(cls, cells: IntArray) -> Confusion:
        """Read a ``[y, ŷ]`` 2×2 block."""
        (tn, fp), (fn, tp) = cells.tolist()
        return cls(tp=tp, fp=fp, fn=fn, tn=tn)


@dataclass(frozen=True, slots=True)
class FacetCounts:
    """Counts for one facet entry: ``cells[g, side, y, ŷ]`` with side 0 = *a*, 1 = *d*.

    ``grouped`` says whether a group variable was given (CDDL/CDDPL need one);
    ``missing_group`` says the last group slot holds rows whose group value is missing
    (they count in totals but weigh nothing in CDD, as in Clarify).
    """

    cells: IntArray
    grouped: bool = False
    missing_group: bool = False
    _sides: tuple[Confusion, Confusion] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.cells.ndim != 4 or self.cells.shape[1:] != (2, 2, 2):
            raise ValueError(
                f"FacetCounts cells must have shape (G, 2, 2, 2), got {self.cells.shape}"
            )
        totals = self.cells.sum(axis=0)
        # Every kernel reads the sides: derive them once (through the frozen dataclass).
        sides = (Confusion.from_cells(totals[0]), Confusion.from_cells(totals[1]))
        object.__setattr__(self, "_sides", sides)

    def sides(self) -> tuple[Confusion, Confusion]:
        """The confusion counts of *a* and of *d*, summed over groups."""
        return self._sides

    def overall(self) -> Confusion:
        """The confusion counts of all rows, whatever their facet."""
        a, d = self._sides
        return Confusion(tp=a.tp + d.tp, fp=a.fp + d.fp, fn=a.fn + d.fn, tn=a.tn + d.tn)


@dataclass(frozen=True, slots=True)
class CountTensor:
    """Integer counts ``cells[group, facet_value, label, predicted]``, mergeable with ``+``.

    Examples
    --------
    >>> import numpy as np
    >>> t = CountTensor.from_codes(
    ...     group=np.array([0, 0, 1]), facet=np.array([0, 1, 1]),
    ...     label=np.array([True, False, True]), predicted=np.array([True, True, False]),
    ...     n_groups=2, n_facet_values=2)
    >>> int(t.cells.sum()), int((t + t).cells.sum())
    (3, 6)
    >>> t.facet([1]).sides()[1]
    Confusion(tp=0, fp=1, fn=1, tn=0)
    """

    cells: IntArray
    grouped: bool = False
    missing_group: bool = False

    def __post_init__(self) -> None:
        if self.cells.ndim != 4 or self.cells.shape[2:] != (2, 2):
            raise ValueError(
                f"CountTensor cells must have shape (G, F, 2, 2), got {self.cells.shape}"
            )
        if self.cells.dtype != np.int64:
            raise ValueError(f"CountTensor cells must be int64, got {self.cells.dtype}")
        if (self.cells < 0).any():
            raise ValueError("CountTensor cells must not be negative")

    @classmethod
    def from_codes(
        cls,
        *,
        group: npt.NDArray[np.integer] | None,
        facet: npt.NDArray[np.integer],
        label: BoolArray,
        predicted: BoolArray | None,
        n_groups: int,
        n_facet_values: int,
        grouped: bool = False,
        missing_group: bool = False,
        weights: npt.NDArray[np.int64] | None = None,
    ) -> CountTensor:
        """Count rows given per-row codes, in one ``bincount`` pass.

        ``group`` and ``facet`` hold codes in ``[0, n_groups)`` and ``[0, n_facet_values)``;
        ``group=None`` puts every row in group 0, ``predicted=None`` counts every row as
        predicted negative (pre-training analysis needs no predictions). ``weights`` counts
        row *i* ``weights[i]`` times (rows aggregated elsewhere, e.g. by Spark).
        """
        size = n_facet_values * n_groups * 4
        flat = np.zeros(size, dtype=np.int64)
        # Chunks bound the temporaries' memory; counts of chunks add up.
        for start in range(0, len(facet), _CHUNK):
            rows = slice(start, start + _CHUNK)
            code = facet[rows].astype(np.intp) * (n_groups * 4)
            code += label[rows] * 2
            if predicted is not None:
                code += predicted[rows]
            if group is not None:
                code += group[rows] * 4
            if weights is None:
                counted = np.bincount(code, minlength=size)
            else:
                # float64 sums of integer weights are exact below 2**53 rows.
                counted = np.bincount(code, weights=weights[rows], minlength=size)
                counted = counted.astype(np.int64)
            if counted.size != size:
                raise ValueError("a facet or group code is out of range")
            flat += counted
        cells = flat.reshape(n_facet_values, n_groups, 2, 2)
        return cls(
            np.ascontiguousarray(cells.transpose(1, 0, 2, 3)),
            grouped=grouped,
            missing_group=missing_group,
        )

    @property
    def n_groups(self) -> int:
        """Size of the group axis."""
        return int(self.cells.shape[0])

    @property
    def n_facet_values(self) -> int:
        """Size of the facet-value axis."""
        return int(self.cells.shape[1])

    def _check_compatible(self, other: CountTensor) -> None:
        if self.cells.shape != other.cells.shape:
            raise ValueError(
                f"cannot combine count tensors of shapes {self.cells.shape} and {other.cells.shape}"
            )
        if (self.grouped, self.missing_group) != (other.grouped, other.missing_group):
            raise ValueError("cannot combine count tensors with different group axes")

    def __add__(self, other: CountTensor) -> CountTensor:
        self._check_compatible(other)
        return CountTensor(self.cells + other.cells, self.grouped, self.missing_group)

    def __sub__(self, other: CountTensor) -> CountTensor:
        self._check_compatible(other)
        return CountTensor(self.cells - other.cells, self.grouped, self.missing_group)

    def facet(self, sensitive: Sequence[int]) -> FacetCounts:
        """The binary view where *d* is the facet values coded ``sensitive`` and *a* the rest."""
        d = self.cells[:, list(sensitive)].sum(axis=1)
        a = self.cells.sum(axis=1) - d
        return FacetCounts(np.stack([a, d], axis=1), self.grouped, self.missing_group)
