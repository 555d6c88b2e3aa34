"""The dashboard's pages: plain HTML with inline CSS and SVG, no scripts, nothing fetched.

Every function returns a whole page (``layout``) or a fragment of one; values are escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from biaswatch import __version__
from biaswatch.report import trend_chart
from biaswatch.server.queries import OUTPUT_FILES, Series

__all__ = ["error_page", "execution_page", "layout", "schedule_page", "schedules_page"]

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#222;
background:#fafafa}
header{background:#1f3f66;color:#fff;padding:10px 24px;display:flex;gap:24px;align-items:baseline}
header a{color:#fff;text-decoration:none;font-weight:600}
main{padding:16px 24px;max-width:1400px}
h1{font-size:1.4em;margin:8px 0 4px}h2{font-size:1.15em;margin-top:28px}
h3{font-size:1em;margin:18px 0 6px}
table{border-collapse:collapse;background:#fff;margin:8px 0}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:.92em;vertical-align:top}
th{background:#f0f0f0}
.status{font-weight:600;padding:1px 6px;border-radius:3px}
.Completed{background:#e2f3e5;color:#1b5e20}.CompletedWithViolations{background:#fde2e1;color:#8e1b17}
.Failed{background:#eee;color:#8e1b17}.Stopped,.Pending,.InProgress{background:#eee;color:#555}
.Scheduled{background:#e3edf8;color:#1f3f66}
.charts{display:flex;flex-wrap:wrap;gap:12px}
figure.chart{margin:0;background:#fff;border:1px solid #ddd;padding:6px}
figure.chart figcaption{font-size:.9em;margin-bottom:2px}
.violated{color:#b71c1c;font-weight:600}
.revised{background:#fff3cd;color:#6b4e00;font-size:.8em;padding:1px 5px;border-radius:3px;
margin-left:4px}
.muted{color:#777}
iframe{width:100%;height:900px;border:1px solid #ddd;background:#fff}
"""


def layout(title: str, body: str) -> str:
    """A whole page around ``body``."""
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)} · biaswatch</title><style>{_STYLE}</style></head><body>"
        "<header><a href='/'>biaswatch</a><span>schedules, executions, bias drift</span>"
        f"<span class='muted' style='margin-left:auto;color:#cdd'>v{__version__}</span></header>"
        f"<main>{body}</main></body></html>"
    )


def _status(status: str | None) -> str:
    if not status:
        return "<span class='muted'>—</span>"
    return f"<span class='status {escape(status)}'>{escape(status)}</span>"


def _cell(value: Any) -> str:
    return "<td class='muted'>—</td>" if value is None else f"<td>{escape(str(value))}</td>"


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    if math.isinf(value):
        return "∞" if value > 0 else "−∞"
    return f"{value:.6g}"


def _table(headers: Sequence[str], rows: Iterable[str], *, id_: str) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return f"<table id='{id_}'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def schedules_page(schedules: Sequence[dict[str, Any]]) -> str:
    """Every schedule with its status and latest execution."""
    rows = []
    for s in schedules:
        last = s["last_execution"] or {}
        name = escape(s["name"])
        rows.append(
            f"<tr class='schedule'><td><a href='/schedules/{name}'>{name}</a></td>"
            f"<td>{_status(s['status'])}</td>{_cell(s['expression'])}"
            f"<td>{escape(s['input']['kind'])}: {escape(s['input']['name'])}</td>"
            f"{_cell(last.get('scheduled_time'))}<td>{_status(last.get('status'))}</td>"
            f"{_cell(last.get('violations'))}"
            f"<td>{escape(', '.join(f'{k} {v}' for k, v in sorted(s['executions'].items())))}</td>"
            "</tr>"
        )
    body = "<h1>Monitoring schedules</h1>"
    if not rows:
        body += "<p>No schedules yet. Create one with <code>biaswatch schedules create</code>.</p>"
    else:
        body += _table(
            ["schedule", "status", "expression", "input", "last execution", "status",
             "violations", "executions"],
            rows,
            id_="schedules",
        )  # fmt: skip
    return layout("Schedules", body)


def _chart(series: Series) -> str:
    title = f"{series.metric} · {series.facet} = {series.facet_value}"
    caption = (
        f"<b>{escape(series.metric)}</b> · {escape(series.facet)} = "
        f"{escape(series.facet_value)} <span class='muted'>baseline "
        f"{_number(series.baseline)}</span>"
    )
    svg = trend_chart(series.points, baseline=series.baseline, title=title)
    return (
        f"<figure class='chart' data-metric='{escape(series.metric)}'"
        f" data-facet='{escape(series.facet)}'><figcaption>{caption}</figcaption>{svg}</figure>"
    )


def _attempt_badge(execution: dict[str, Any]) -> str:
    """A mark on a slot that a rerun revised, or that is being rerun."""
    badge = ""
    if execution["revised"]:
        badge += (
            f"<span class='revised' title='shows attempt {execution['attempt']} of"
            f" {execution['attempts']}'>revised</span>"
        )
    if execution["rerunning"]:
        badge += "<span class='revised'>rerunning</span>"
    return badge


def _executions_table(executions: Sequence[dict[str, Any]]) -> str:
    rows = []
    for e in reversed(executions):
        links = " ".join(
            f"<a href='/api/executions/{e['id']}/{kind}'>{kind}</a>"
            for kind in ("analysis", "violations", "diagnostics", "report")
        )
        rows.append(
            f"<tr class='execution'><td><a href='/executions/{e['id']}'>"
            f"{escape(e['scheduled_time'])}</a></td>"
            f"<td>{_status(e['status'])}{_attempt_badge(e)}</td>{_cell(e['attempts'])}"
            f"{_cell(e['violations'])}{_cell(e['rows'])}{_cell(e['records_read'])}"
            f"{_cell(e['failure_reason'])}<td>{links}</td></tr>"
        )
    return _table(
        ["scheduled time", "status", "attempts", "violations", "rows", "records read",
         "failure reason", "outputs"],
        rows,
        id_="executions",
    )  # fmt: skip


def schedule_page(
    summary: dict[str, Any], series: Sequence[Series], executions: Sequence[dict[str, Any]]
) -> str:
    """A schedule: one trend chart per facet entry and metric, then its executions."""
    name = escape(summary["name"])
    body = (
        f"<h1>{name} {_status(summary['status'])}</h1>"
        f"<p>{escape(summary['input']['kind'])} <b>{escape(summary['input']['name'])}</b> · "
        f"<code>{escape(summary['expression'] or '')}</code> · baseline "
        f"<code>{escape(summary['baseline'] or 'none')}</code></p>"
    )
    stages = {"post_training": "Post-training metrics", "pre_training": "Pre-training metrics"}
    for stage, heading in stages.items():
        of_stage = [s for s in series if s.stage == stage]
        if not of_stage:
            continue
        body += f"<h2>{heading}</h2>"
        for facet in dict.fromkeys((s.facet, s.facet_value) for s in of_stage):
            charts = "".join(_chart(s) for s in of_stage if (s.facet, s.facet_value) == facet)
            heading = f"{escape(facet[0])} = {escape(facet[1])}"
            body += f"<h3>{heading}</h3><div class='charts'>{charts}</div>"
    if not series:
        body += "<p class='muted'>No metric values yet: no execution has completed.</p>"
    body += f"<h2>Executions</h2>{_executions_table(executions)}"
    return layout(summary["name"], body)


def _attempts_table(execution_id: int, attempts: Sequence[dict[str, Any]]) -> str:
    """Every attempt of an execution, latest first, each with links to its own files."""
    rows = []
    for a in attempts:
        number = a["attempt"]
        links = " ".join(
            f"<a href='/api/executions/{execution_id}/attempts/{number}/{kind}'>{kind}</a>"
            for kind in ("report", "analysis", "violations", "diagnostics")
        )
        rows.append(
            f"<tr class='attempt'><td>{number}</td>{_cell(a['trigger'])}"
            f"<td>{_status(a['status'])}</td>{_cell(a['started_at'])}{_cell(a['ended_at'])}"
            f"{_cell(a['ground_truth_until'])}{_cell(a['rows'])}{_cell(a['violations'])}"
            f"{_cell(a['failure_reason'])}<td>{links}</td></tr>"
        )
    return _table(
        ["attempt", "trigger", "status", "started", "ended", "ground truth until", "rows",
         "violations", "failure reason", "files"],
        rows,
        id_="attempts",
    )  # fmt: skip


def execution_page(
    execution: dict[str, Any],
    metrics: Sequence[dict[str, Any]],
    violations: Sequence[dict[str, Any]],
    diagnostics: dict[str, Any] | None,
    attempts: Sequence[dict[str, Any]] = (),
) -> str:
    """One execution: its attempts, metrics against the baseline, violations and diagnostics."""
    schedule = escape(execution["schedule"])
    body = (
        f"<p><a href='/schedules/{schedule}'>← {schedule}</a></p>"
        f"<h1>{escape(execution['scheduled_time'])} {_status(execution['status'])}"
        f"{_attempt_badge(execution)}</h1>"
    )
    if execution["attempts"] > 1:
        body += (
            f"<p>Showing attempt {execution['attempt']} of {execution['attempts']};"
            " earlier attempts and their files are listed under Attempts.</p>"
        )
    if execution["failure_reason"]:
        body += f"<p class='violated'>{escape(execution['failure_reason'])}</p>"
    body += "<h2>Violations</h2>"
    if violations:
        body += _table(
            ["metric", "facet", "facet value", "check", "description"],
            (
                f"<tr class='violation-row'><td>{escape(v.get('metric_name', ''))}</td>"
                f"<td>{escape(v.get('facet', ''))}</td><td>{escape(v.get('facet_value', ''))}</td>"
                f"<td>{escape(v.get('constraint_check_type', ''))}</td>"
                f"<td>{escape(v.get('description', ''))}</td></tr>"
                for v in violations
            ),
            id_="violations",
        )
    else:
        body += "<p class='muted'>None.</p>"
    if metrics:
        body += "<h2>Metrics against the baseline</h2>" + _table(
            ["stage", "facet", "value", "metric", "current", "baseline"],
            (
                f"<tr class='{'violated' if m['violated'] else ''}'><td>{escape(m['stage'])}</td>"
                f"<td>{escape(m['facet'])}</td><td>{escape(m['facet_value'])}</td>"
                f"<td>{escape(m['metric'])}</td><td>{_number(m['value'])}"
                f"{escape(' — ' + m['error']) if m.get('error') else ''}</td>"
                f"<td>{_number(m['baseline'])}</td></tr>"
                for m in metrics
            ),
            id_="metrics",
        )
    if diagnostics:
        records = diagnostics.get("records") or {}
        samples = records.get("malformed_samples") or []
        counts = {k: v for k, v in records.items() if not isinstance(v, list | dict)}
        body += "<h2>Diagnostics</h2>" + _table(
            ["count", "value"],
            (f"<tr><td>{escape(k)}</td><td>{escape(str(v))}</td></tr>" for k, v in counts.items()),
            id_="diagnostics",
        )
        window = diagnostics.get("window") or {}
        body += (
            f"<p>Window {escape(str(window.get('start')))} to {escape(str(window.get('end')))};"
            f" timings {escape(str(diagnostics.get('timings')))}</p>"
        )
        if samples:
            body += "<h3>Malformed records (samples)</h3>" + _table(
                ["file", "line", "reason"],
                (
                    f"<tr><td>{escape(str(s.get('file')))}</td><td>{escape(str(s.get('line')))}"
                    f"</td><td>{escape(str(s.get('reason')))}</td></tr>"
                    for s in samples
                ),
                id_="malformed",
            )
    files = " · ".join(
        f"<a href='/api/executions/{execution['id']}/{kind}'>{escape(name)}</a>"
        for kind, name in OUTPUT_FILES.items()
    )
    output = escape(execution["output_uri"] or "")
    body += f"<h2>Outputs</h2><p>{files}</p><p class='muted'>{output}</p>"
    if attempts:
        body += "<h2>Attempts</h2>" + _attempts_table(execution["id"], attempts)
    if execution["status"] in ("Completed", "CompletedWithViolations"):
        body += (
            f"<h2>Report</h2><iframe title='report' src='/api/executions/{execution['id']}/report'>"
            "</iframe>"
        )
    return layout(f"{execution['schedule']} {execution['scheduled_time']}", body)


def error_page(status: int, message: str) -> str:
    """A page for a 404 or a 401."""
    return layout(str(status), f"<h1>{status}</h1><p>{escape(message)}</p>")
