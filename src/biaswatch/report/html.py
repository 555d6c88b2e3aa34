"""``report.html``: one analysis as a self-contained HTML page.

The page carries its own CSS and inline SVG charts and refers to nothing outside itself, so it
can be opened offline, attached to a ticket or archived next to ``analysis.json``. The output
depends only on the result and the titles (no timestamps), so the same analysis always gives
the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape

from biaswatch.analysis import AnalysisResult, FacetResult, MetricResult, StageResult
from biaswatch.metrics import Confusion, MetricValue, Stage, guide_of
from biaswatch.report.svg import Bar, horizontal_bar_chart

__all__ = ["Comparison", "MetricKey", "render_report"]

MetricKey = tuple[str, str, int, str]
"""(stage, facet, entry position within the facet, metric): how SageMaker matches metrics."""


@dataclass(frozen=True, slots=True)
class Comparison:
    """Constraints to show the metrics against, and the metrics that violated them.

    ``baseline`` holds the constraints (what the violation rule compares with: the baseline's
    values, or noise-aware widened ones); ``baseline_values`` the baselining job's own values
    when they differ; ``reasons`` the rule in words for each violated metric.
    """

    baseline: Mapping[MetricKey, float | None]
    violated: frozenset[MetricKey] = field(default_factory=frozenset)
    baseline_values: Mapping[MetricKey, float | None] = field(default_factory=dict)
    reasons: Mapping[MetricKey, str] = field(default_factory=dict)


_STAGE_TITLES = {
    Stage.POST_TRAINING: "Post-training bias metrics",
    Stage.PRE_TRAINING: "Pre-training bias metrics",
}

_CSS = """
:root { color-scheme: light; }
body {
  margin: 0 auto; max-width: 1180px; padding: 1.5rem;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: #1b1b1b; background: #ffffff; line-height: 1.4;
}
h1 { margin-bottom: 0.2rem; }
.subtitle { margin-top: 0; color: #555555; }
dl.summary { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem; }
dl.summary dt { font-weight: 600; }
dl.summary dd { margin: 0; }
h2 { margin-top: 2.5rem; border-bottom: 2px solid #4c78a8; padding-bottom: 0.2rem; }
h3 { margin-top: 2rem; }
article.entry { border: 1px solid #d9d9d9; border-radius: 6px; padding: 0 1rem 1rem;
  margin: 1rem 0; }
article.entry h4 { margin: 0.8rem 0 0.2rem; font-size: 1.05rem; }
p.counts { margin: 0 0 0.8rem; color: #444444; font-size: 0.9rem; }
.entry-body { display: flex; flex-wrap: wrap; gap: 1.5rem; align-items: flex-start; }
table.metrics { border-collapse: collapse; font-size: 0.9rem; }
table.metrics th, table.metrics td { padding: 0.25rem 0.6rem; border-bottom: 1px solid #e6e6e6;
  text-align: left; vertical-align: top; }
table.metrics th { background: #f3f5f8; }
table.metrics td.value { text-align: right; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
td.undefined { color: #767676; font-style: italic; }
td.error { color: #8a3b12; max-width: 22rem; }
tr.violated td { background: #fde2e1; color: #8e1b17; font-weight: 600; }
td.meaning { color: #444444; font-size: 0.85rem; max-width: 24rem; }
td.reason { color: #8e1b17; font-size: 0.85rem; max-width: 20rem; }
table.malformed { border-collapse: collapse; font-size: 0.85rem; }
table.malformed td, table.malformed th { padding: 0.2rem 0.5rem; border-bottom: 1px solid #e6e6e6;
  text-align: left; }
svg { max-width: 100%; height: auto; }
"""


def render_report(
    result: AnalysisResult,
    *,
    title: str = "Bias analysis",
    subtitle: str | None = None,
    comparison: Comparison | None = None,
    details: Sequence[tuple[str, str]] = (),
    malformed: Sequence[tuple[str, int, str]] = (),
    facet_label: Callable[[str], str] = str,
) -> str:
    """Render an analysis as a complete, self-contained HTML5 document.

    For each stage (post-training first, as :attr:`AnalysisResult.stages` orders them), each
    facet and each facet entry, the page shows the entry's row counts, a table of its metrics
    (values to six significant digits, ``Infinity``/``-Infinity`` for infinite values, and the
    error for undefined ones) and a bar chart of the values.

    Parameters
    ----------
    result
        The analysis to show.
    title
        The page's title and top heading.
    subtitle
        An optional line under the heading, e.g. the endpoint and the window analysed.
    comparison
        Constraints: their values are shown next to the metrics and marked on the charts, the
        violated metrics are highlighted with the rule in words.
    details
        More (term, text) lines for the summary, e.g. the window and the record counts.
    malformed
        Samples of records that could not be used: (file, line, reason).
    facet_label
        A facet value as people should read it (``0`` → ``0 (female)``).

    Returns
    -------
    str
        The HTML document; write it as UTF-8.

    Examples
    --------
    >>> page = render_report(AnalysisResult(rows=0, pre_training=None, post_training=None))
    >>> page.startswith("<!DOCTYPE html>")
    True
    """
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        "<header>",
        f"<h1>{escape(title)}</h1>",
    ]
    if subtitle is not None:
        parts.append(f'<p class="subtitle">{escape(subtitle)}</p>')
    parts.append(_summary(result, details, comparison))
    parts.append("</header>")
    parts.append("<main>")
    if not result.stages:
        parts.append("<p>No bias metrics were computed.</p>")
    level = result.interval_level
    parts.extend(_stage_section(stage, comparison, level, facet_label) for stage in result.stages)
    if malformed:
        parts.append(_malformed_section(malformed))
    parts.extend(["</main>", "</body>", "</html>", ""])
    return "\n".join(parts)


def _summary(
    result: AnalysisResult, details: Sequence[tuple[str, str]], comparison: Comparison | None
) -> str:
    items = [("Rows analysed", f"{result.rows:,}"), *details]
    if comparison is not None:
        items.append(("Violations", str(len(comparison.violated))))
    # Both stages come from one config, so they name the same label; list each distinct one.
    labels = dict.fromkeys((s.label, s.label_value_or_threshold) for s in result.stages)
    for label, positive in labels:
        items.append(("Label", label))
        items.append(("Label value or threshold", positive))
    rows = "\n".join(f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>" for term, text in items)
    return f'<dl class="summary">\n{rows}\n</dl>'


def _stage_section(
    stage: StageResult,
    comparison: Comparison | None,
    level: float | None,
    facet_label: Callable[[str], str],
) -> str:
    parts = [f'<section class="stage" id="{stage.stage.value}">']
    parts.append(f"<h2>{_STAGE_TITLES[stage.stage]}</h2>")
    for name, entries in stage.facets.items():
        parts.append(f"<h3>Facet {escape(name)}</h3>")
        parts.extend(
            _facet_entry(name, position, entry, stage.stage, comparison, level, facet_label)
            for position, entry in enumerate(entries)
        )
    parts.append("</section>")
    return "\n".join(parts)


def _facet_entry(
    name: str,
    position: int,
    entry: FacetResult,
    stage: Stage,
    comparison: Comparison | None,
    level: float | None,
    facet_label: Callable[[str], str],
) -> str:
    heading = f"{name} = {facet_label(entry.value_or_threshold)}"

    def key(metric: MetricResult) -> MetricKey:
        return (stage.value, name, position, metric.code.value)

    baseline = comparison.baseline if comparison else {}
    violated = comparison.violated if comparison else frozenset()
    chart = horizontal_bar_chart(
        [
            Bar(
                m.code.value,
                m.value.value,
                _caption(m.value),
                baseline=baseline.get(key(m)),
                violated=key(m) in violated,
            )
            for m in entry.metrics
        ],
        title=f"{_STAGE_TITLES[stage]}, {heading}",
    )
    values = comparison.baseline_values if comparison else {}
    reasons = comparison.reasons if comparison else {}
    table = _metrics_table(
        entry.metrics,
        [baseline.get(key(m)) for m in entry.metrics] if comparison else None,
        [key(m) in violated for m in entry.metrics],
        level,
        [values.get(key(m)) for m in entry.metrics] if values else None,
        [reasons.get(key(m), "") for m in entry.metrics],
    )
    return "\n".join(
        (
            '<article class="entry">',
            f"<h4>{escape(heading)}</h4>",
            _counts_line(entry, stage),
            '<div class="entry-body">',
            table,
            f'<figure class="chart">{chart}</figure>',
            "</div>",
            "</article>",
        )
    )


def _counts_line(entry: FacetResult, stage: Stage) -> str:
    a, d = entry.counts.sides()
    predictions = stage is Stage.POST_TRAINING
    sides = (
        _side_counts("d (this facet value)", d, predictions=predictions),
        _side_counts("a (all other rows)", a, predictions=predictions),
    )
    return f'<p class="counts">{escape("; ".join(sides))}</p>'


def _side_counts(name: str, side: Confusion, *, predictions: bool) -> str:
    text = f"{name}: {side.n:,} rows, {_share(side.label_positive, side.n)} positive labels"
    if predictions:
        text += f", {_share(side.predicted_positive, side.n)} positive predictions"
    return text


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def _metrics_table(
    metrics: tuple[MetricResult, ...],
    constraints: Sequence[float | None] | None,
    violated: Sequence[bool],
    level: float | None = None,
    baseline_values: Sequence[float | None] | None = None,
    reasons: Sequence[str] = (),
) -> str:
    head = "<th>Metric</th><th>What it means</th><th>Ideal</th><th>Value</th>"
    if constraints is not None:
        head += '<th title="what the violation rule compares with">Constraint</th>'
    if baseline_values is not None:
        head += "<th>Baseline value</th>"
    if level is not None:
        head += f"<th>{level:.0%} interval</th>"
    head += "<th>Why / error</th>"
    rows = ['<table class="metrics">', f"<thead><tr>{head}</tr></thead>", "<tbody>"]
    for index, metric in enumerate(metrics):
        value = metric.value
        guide = guide_of(metric.code.value)
        meaning = "" if guide is None else f"{guide.meaning}. {guide.reading}."
        ideal = "" if guide is None else _format_number(guide.ideal)
        if value.value is None:
            cells = '<td class="value undefined">undefined</td>'
        else:
            cells = f'<td class="value">{_format_number(value.value)}</td>'
        if constraints is not None:
            cells += f'<td class="value baseline">{_optional(constraints[index])}</td>'
        if baseline_values is not None:
            cells += f'<td class="value">{_optional(baseline_values[index])}</td>'
        if level is not None:
            interval = metric.interval
            shown = (
                "—"
                if interval is None
                else f"[{_format_number(interval.lower)}, {_format_number(interval.upper)}]"
            )
            cells += f'<td class="value interval">{shown}</td>'
        reason = reasons[index] if index < len(reasons) else ""
        if value.error:
            cells += f'<td class="error">{escape(value.error)}</td>'
        elif reason:
            cells += f'<td class="reason">{escape(reason)}</td>'
        else:
            cells += "<td></td>"
        row_class = ' class="violated"' if violated[index] else ""
        rows.append(
            f'<tr{row_class}><td><code title="{escape(metric.description)}">'
            f'{escape(metric.code.value)}</code></td><td class="meaning">{escape(meaning)}</td>'
            f'<td class="value">{ideal}</td>{cells}</tr>'
        )
    rows.extend(["</tbody>", "</table>"])
    return "\n".join(rows)


def _optional(number: float | None) -> str:
    return "—" if number is None else _format_number(number)


def _malformed_section(samples: Sequence[tuple[str, int, str]]) -> str:
    rows = "".join(
        f"<tr><td>{escape(file)}</td><td>{line}</td><td>{escape(reason)}</td></tr>"
        for file, line, reason in samples
    )
    return (
        '<section id="malformed"><h2>Records that could not be used (samples)</h2>'
        '<table class="malformed"><thead><tr><th>File</th><th>Line</th><th>Reason</th></tr>'
        f"</thead><tbody>{rows}</tbody></table></section>"
    )


def _caption(value: MetricValue) -> str:
    if value.value is None:
        return value.error or "undefined"
    return _format_number(value.value)


def _format_number(number: float) -> str:
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return f"{number:.6g}"
