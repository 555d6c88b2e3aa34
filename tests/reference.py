"""A slow, row-by-row statement of Clarify's metrics: the oracle for the vectorised kernels.

Each metric is written from its definition over boolean rows, the way Clarify's pandas code
reads, with no count tensor in sight.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

INF = float("inf")


@dataclass(frozen=True)
class Row:
    group: int | None
    d: bool
    y: bool
    yhat: bool


def _divide(a: float, b: float) -> float:
    if b == 0 and a == 0:
        return 0.0
    if b == 0:
        return -INF if a < 0 else INF
    return a / b


def _count(rows: Sequence[Row], **where: bool) -> int:
    return sum(all(getattr(r, k) == v for k, v in where.items()) for r in rows)


Result = tuple[float | None, str | None]


def reference_metrics(rows: Sequence[Row], *, grouped: bool) -> dict[str, Result]:
    out: dict[str, Result] = {}
    n_a, n_d = _count(rows, d=False), _count(rows, d=True)

    def err(message: str) -> Result:
        return None, message

    # CI
    if n_a == 0:
        out["CI"] = err("CI: negated facet set is empty. Check that x[~facet] has non-zero length.")
    elif n_d == 0:
        out["CI"] = err("CI: facet set is empty. Check that x[facet] has non-zero length.")
    else:
        out["CI"] = (float(n_a - n_d) / (n_a + n_d), None)
    # DPL / DPPL
    for name, attr in (("DPL", "y"), ("DPPL", "yhat")):
        if n_a == 0:
            out[name] = err("Negative facet set is empty.")
        elif n_d == 0:
            out[name] = err("Facet set is empty.")
        else:
            out[name] = (
                _count(rows, d=False, **{attr: True}) / n_a
                - _count(rows, d=True, **{attr: True}) / n_d,
                None,
            )
    # KL, JS, LP, TVD, KS over label distributions, kept where both are non-zero
    pdf_a = {
        k: _count(rows, d=False, y=k) / n_a for k in (False, True) if _count(rows, d=False, y=k)
    }
    pdf_d = {k: _count(rows, d=True, y=k) / n_d for k in (False, True) if _count(rows, d=True, y=k)}
    keys = [k for k in (False, True) if pdf_a.get(k, 0) and pdf_d.get(k, 0)]
    if not keys:
        for name in ("KL", "JS", "LP", "TVD", "KS"):
            out[name] = err("No instance of common facet found, dataset may be too small")
    else:
        pa = np.array([pdf_a[k] for k in keys])
        pd_ = np.array([pdf_d[k] for k in keys])
        mean = (pa + pd_) / 2
        out["KL"] = (float(np.sum(pa * np.log(pa / pd_))), None)
        out["JS"] = (
            float(0.5 * (np.sum(pa * np.log(pa / mean)) + np.sum(pd_ * np.log(pd_ / mean)))),
            None,
        )
        out["LP"] = (float(np.linalg.norm(pa - pd_, 2)), None)
        out["TVD"] = (float(0.5 * np.linalg.norm(pa - pd_, 1)), None)
        out["KS"] = (float(np.linalg.norm(pa - pd_, np.inf)), None)
    # CDDL / CDDPL
    for name, attr in (("CDDL", "y"), ("CDDPL", "yhat")):
        if not grouped:
            out[name] = err("Group variable is empty or not provided")
            continue
        positives = _count(rows, **{attr: True})
        if positives == 0:
            out[name] = err("No positive labels in set")
            continue
        if positives == len(rows):
            out[name] = err("No negative labels in set")
            continue
        groups = sorted({r.group for r in rows if r.group is not None})
        has_missing = any(r.group is None for r in rows)
        sizes, disparities = [], []
        for g in [*groups, *([None] if has_missing else [])]:
            members = [r for r in rows if r.group == g and g is not None]
            accepted = [r for r in members if getattr(r, attr)]
            rejected = [r for r in members if not getattr(r, attr)]
            share_a = sum(r.d for r in accepted) / len(accepted) if accepted else 0
            share_d = sum(r.d for r in rejected) / len(rejected) if rejected else 0
            sizes.append(len(members))
            disparities.append(share_d - share_a)
        sizes_array = np.array(sizes, dtype=float)
        out[name] = (
            float(
                _divide(
                    np.sum(sizes_array * np.array(disparities, dtype=float)), np.sum(sizes_array)
                )
            ),
            None,
        )

    # Confusion-based post-training metrics
    def side(d: bool) -> dict[str, int]:
        return {
            "tp": _count(rows, d=d, y=True, yhat=True),
            "fp": _count(rows, d=d, y=False, yhat=True),
            "fn": _count(rows, d=d, y=True, yhat=False),
            "tn": _count(rows, d=d, y=False, yhat=False),
        }

    a, d = side(False), side(True)

    def diff(x: float, y: float) -> float:
        return 0 if x == y == INF else x - y

    def empty(prefix: str) -> Result | None:
        if n_d == 0:
            return err(f"{prefix}Facet set is empty")
        if n_a == 0:
            return err(f"{prefix}Negated Facet set is empty")
        return None

    if n_a == 0:
        out["DI"] = err("Negated facet set is empty")
    elif n_d == 0:
        out["DI"] = err("Facet set is empty")
    else:
        out["DI"] = (_divide((d["tp"] + d["fp"]) / n_d, (a["tp"] + a["fp"]) / n_a), None)

    def ratio_a(num: tuple[str, ...], den: tuple[str, ...]) -> float:
        return _divide(sum(a[k] for k in num), sum(a[k] for k in den))

    def ratio_d(num: tuple[str, ...], den: tuple[str, ...]) -> float:
        return _divide(sum(d[k] for k in num), sum(d[k] for k in den))

    label_pos, predicted_pos = ("tp", "fn"), ("tp", "fp")
    label_neg, predicted_neg = ("tn", "fp"), ("tn", "fn")
    Cells = tuple[str, ...]
    formulas: dict[str, tuple[str, tuple[Cells, Cells], bool]] = {
        "DCA": ("DCO: ", (label_pos, predicted_pos), False),
        "DCR": ("DCO: ", (label_neg, predicted_neg), True),
        "RD": ("DLA: ", (("tp",), label_pos), False),
        "SD": ("DLA: ", (("tn",), label_neg), True),
        "DAR": ("DLR: ", (("tp",), predicted_pos), False),
        "DRR": ("DLR: ", (("tn",), predicted_neg), True),
    }
    for name, (prefix, (num, den), d_minus_a) in formulas.items():
        first, second = ratio_a(num, den), ratio_d(num, den)
        if d_minus_a:
            first, second = second, first
        out[name] = empty(prefix) or (diff(first, second), None)
    accuracy_a = _divide(a["tp"] + a["tn"], n_a)
    accuracy_d = _divide(d["tp"] + d["tn"], n_d)
    out["AD"] = empty("") or (
        0.0 if accuracy_a == accuracy_d == INF else accuracy_a - accuracy_d,
        None,
    )
    tau_a, tau_d = _divide(a["fn"], a["fp"]), _divide(d["fn"], d["fp"])
    out["TE"] = empty("") or (0.0 if tau_a == tau_d == INF else tau_d - tau_a, None)
    # GE over every row, summed row by row
    if not rows:
        out["GE"] = err("dataset must be non-empty")
    else:
        benefits = [int(r.yhat) - int(r.y) + 1 for r in rows]
        mean = sum(benefits) / len(benefits)
        if mean == 0:
            out["GE"] = err(
                "All predicted labels are false negatives. There should be at least one"
                " prediction that is not false negative."
            )
        else:
            out["GE"] = (sum((b / mean) ** 2 - 1 for b in benefits) / (len(rows) * 2), None)
    return out


def close(a: float, b: float) -> bool:
    """Equal, or within 1e-12 relative (GE is summed in another order than Clarify's)."""
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)
