"""The dashboard's pages: plain HTML with inline CSS and SVG, no scripts, nothing fetched.

Every function returns a whole page (``layout``) or a fragment of one; values are escaped here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from biaswatch import __version__
from biaswatch.metrics import guide_of, readable
from biaswatch.report import legend, trend_chart
from biaswatch.server.queries import OUTPUT_FILES, Series, TimeRange

if TYPE_CHECKING:
    from biaswatch.jobs.live import EndpointLive

__all__ = [
    "LIVE_REFRESH",
    "error_page",
    "execution_page",
    "layout",
    "live_page",
    "schedule_page",
    "schedules_page",
]

LIVE_REFRESH = 15
"""Seconds between two reloads of the live page, by default."""

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
.Failed{background:#eee;color:#8e1b17}.Stopped,.Pending,.InProgress,.Sending{background:#eee;color:#555}
.Delivered{background:#e2f3e5;color:#1b5e20}
.Scheduled{background:#e3edf8;color:#1f3f66}
.charts{display:flex;flex-wrap:wrap;gap:12px}
figure.chart{margin:0;background:#fff;border:1px solid #ddd;padding:6px}
figure.chart figcaption{font-size:.9em;margin-bottom:2px}
.violated{color:#b71c1c;font-weight:600}
.headline{font-size:1.05em;font-weight:600}
nav.range{margin:8px 0}.legend{margin:8px 0}
.guide{color:#555;font-size:.88em}td.guide{max-width:28em}td.number{text-align:right}
.revised{background:#fff3cd;color:#6b4e00;font-size:.8em;padding:1px 5px;border-radius:3px;
margin-left:4px}
.muted{color:#777}
iframe{width:100%;height:900px;border:1px solid #ddd;background:#fff}
"""


def layout(title: str, body: str, *, refresh: int | None = None) -> str:
    """A whole page around ``body``.

    With ``refresh``, the browser reloads it every so many seconds.
    """
    reload = "" if refresh is None else f"<meta http-equiv='refresh' content='{refresh}'>"
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>{reload}"
        f"<title>{escape(title)} · biaswatch</title><style>{_STYLE}</style></head><body>"
        "<header><a href='/'>biaswatch</a><a href='/live'>live</a>"
        "<span>schedules, executions, bias drift</span>"
        f"<span class='muted' style='margin-left:auto;color:#cdd'>v{__version__}</span></header>"
        f"<main>{body}</main></body></html>"
    )


def _status(status: str | None) -> str:
    if not status:
        return "<span class='muted'>—</span>"
    return f"<b class='status {escape(status)}'>{escape(status)}</b>"


def _cell(value: Any) -> str:
    return "<td class='muted'>—</td>" if value is None else f"<td>{escape(str(value))}</td>"


def _number(value: float | None) -> str:
    return "—" if value is None else readable(value)


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


def _hour(text: str | None) -> str:
    """An ISO time as people read it here: ``2026-11-25 16:00`` (UTC)."""
    return "—" if not text else text[:16].replace("T", " ")


def _data_hours(e: dict[str, Any]) -> str:
    """The data window of an execution: ``15:00 to 16:00`` (with the day when it changes)."""
    start, end = e.get("data_start"), e.get("data_end")
    if not start or not end:
        return "—"
    same_day = start[:10] == end[:10]
    return f"{_hour(start)} to {end[11:16] if same_day else _hour(end)}"


def _chart(series: Series, axis: TimeRange, label: Callable[[str], str]) -> str:
    facet = f"{series.facet} = {label(series.facet_value)}"
    title = f"{series.metric} · {facet}"
    guide = guide_of(series.metric)
    limits = f"constraint {_number(series.constraint)}"
    if series.baseline != series.constraint:
        limits += f" · baseline value {_number(series.baseline)}"
    limits += f" · ideal {_number(series.ideal)}"
    caption = f"<b>{escape(series.metric)}</b> <span class='muted'>{escape(limits)}</span>"
    if guide is not None:
        caption += (
            f"<br><span class='guide'>{escape(guide.meaning)}. {escape(guide.reading)}.</span>"
        )
    svg = trend_chart(
        series.points,
        constraint=series.constraint,
        title=title,
        ideal=series.ideal,
        start=axis.start,
        end=axis.end,
    )
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


def _rows(e: dict[str, Any]) -> str:
    rows, decoded = e.get("rows"), e.get("rows_decoded")
    if rows is None:
        return "—"
    if not decoded:
        return f"{rows:,}"
    return f"{rows:,} of {decoded:,} ({100 * rows / decoded:.0f} %)"


def _executions_table(executions: Sequence[dict[str, Any]]) -> str:
    """The executions, latest first; each links to its page (files, report, attempts)."""
    rows = []
    for e in reversed(executions):
        rows.append(
            f"<tr class='execution'><td><a href='/executions/{e['id']}'>"
            f"{_hour(e['scheduled_time'])}</a></td><td>{_data_hours(e)}</td>"
            f"<td>{_status(e['status'])}{_attempt_badge(e)}</td><td>{e['attempts']}</td>"
            f"<td>{e['violations'] if e['violations'] is not None else '—'}</td>"
            f"<td>{_rows(e)}</td>{_cell(e['failure_reason'])}</tr>"
        )
    return _table(
        ["scheduled (UTC)", "data hours (UTC)", "status", "attempts", "violations",
         "rows with ground truth", "failure reason"],
        rows,
        id_="executions",
    )  # fmt: skip


def _navigation(name: str, within: TimeRange, latest: bool) -> str:
    """Links to the previous and next ranges of the same length, and to the latest one."""
    days = f"{within.days:g}"
    base = f"/schedules/{quote(name)}?days={days}"
    older = f"{base}&end={quote(within.start.isoformat())}"
    newer_end = within.end + (within.end - within.start)
    links = [f"<a href='{older}' rel='prev'>← older</a>"]
    if not latest:
        links.append(f"<a href='{base}&end={quote(newer_end.isoformat())}' rel='next'>newer →</a>")
        links.append(f"<a href='{base}'>latest</a>")
    return (
        f"<nav class='range'>{_hour(within.start.isoformat())} to"
        f" {_hour(within.end.isoformat())} UTC ({days} days) · {' · '.join(links)}</nav>"
    )


_STAGE_NAMES = {"post_training": "post-training", "pre_training": "pre-training", "all": "all"}


def _stage_links(name: str, within: TimeRange, stages: Sequence[str], stage: str) -> str:
    """Which metrics are shown, and links to the others (when the schedule has both stages)."""
    if len(stages) < 2:
        return ""
    base = f"/schedules/{quote(name)}?days={within.days:g}&end={quote(within.end.isoformat())}"
    links = [
        f"<b>{_STAGE_NAMES[s]}</b>"
        if s == stage
        else f"<a href='{base}&stage={s}'>{_STAGE_NAMES[s]}</a>"
        for s in (*stages, "all")
    ]
    return f"<nav class='stages'>Metrics shown: {' · '.join(links)}</nav>"


def schedule_page(
    summary: dict[str, Any],
    series: Sequence[Series],
    executions: Sequence[dict[str, Any]],
    *,
    headline: str,
    within: TimeRange,
    latest: bool,
    stages: Sequence[str] = (),
    stage: str = "all",
    label: Callable[[str], str] = str,
) -> str:
    """A schedule: where it stands, one trend chart per facet entry and metric, its executions.

    ``within`` is the range shown (``latest``: the most recent one); ``stages`` are those the
    schedule has, ``stage`` the one shown (or ``all``); ``label`` names facet values for people.
    """
    name = escape(summary["name"])
    body = (
        f"<h1>{name} {_status(summary['status'])}</h1>"
        f"<p>{escape(summary['input']['kind'])} <b>{escape(summary['input']['name'])}</b> · "
        f"<code>{escape(summary['expression'] or '')}</code> · constraints "
        f"<code>{escape(summary['baseline'] or 'none')}</code></p>"
        f"<p class='headline'>{escape(headline)}</p>"
        f"{_navigation(summary['name'], within, latest)}"
        f"{_stage_links(summary['name'], within, stages, stage)}"
    )
    headings = {"post_training": "Post-training metrics", "pre_training": "Pre-training metrics"}
    # Every chart shares one time axis: the executions of the range (not its empty days).
    times = [p.time for s in series for p in s.points]
    axis = TimeRange(min(times), max(times)) if times else within
    if series:
        body += f"<div class='legend'>{legend()}</div>"
    for shown, heading in headings.items():
        of_stage = [s for s in series if s.stage == shown]
        if not of_stage:
            continue
        body += f"<h2>{heading}</h2>"
        for facet in dict.fromkeys((s.facet, s.facet_value) for s in of_stage):
            charts = "".join(
                _chart(s, axis, label) for s in of_stage if (s.facet, s.facet_value) == facet
            )
            entry = f"{escape(facet[0])} = {escape(label(facet[1]))}"
            body += f"<h3>{entry}</h3><div class='charts'>{charts}</div>"
    if not series:
        body += "<p class='muted'>No metric values in this range.</p>"
    body += f"<h2>Executions</h2>{_executions_table(executions)}"
    return layout(summary["name"], body)


def _violations_table(violations: Sequence[dict[str, Any]], label: Callable[[str], str]) -> str:
    return _table(
        ["metric", "facet", "value", "constraint", "why (the rule in words)", "SageMaker's text"],
        (
            f"<tr class='violation-row'><td>{escape(v.get('metric_name', ''))}</td>"
            f"<td>{escape(v.get('facet', ''))} = {escape(label(v.get('facet_value', '')))}</td>"
            f"<td>{escape(_shown(v.get('value')))}</td>"
            f"<td>{escape(_shown(v.get('constraint')))}</td>"
            f"<td>{escape(v.get('rule', ''))}</td>"
            f"<td class='muted'>{escape(v.get('description', ''))}</td></tr>"
            for v in violations
        ),
        id_="violations",
    )


def _shown(value: Any) -> str:
    if isinstance(value, int | float):
        return _number(float(value))
    return "—" if value is None else str(value)


def _metrics_table(metrics: Sequence[dict[str, Any]], label: Callable[[str], str]) -> str:
    rows = []
    for m in metrics:
        guide = guide_of(m["metric"])
        meaning = "" if guide is None else f"{guide.meaning}. {guide.reading}."
        error = f" — {m['error']}" if m.get("error") else ""
        rows.append(
            f"<tr class='{'violated' if m['violated'] else ''}'>"
            f"<td>{escape(m['stage'].replace('_', '-'))}</td>"
            f"<td>{escape(m['facet'])} = {escape(label(m['facet_value']))}</td>"
            f"<td><abbr title='{escape(meaning)}'>{escape(m['metric'])}</abbr></td>"
            f"<td>{_number(m['value'])}{escape(error)}</td>"
            f"<td>{_number(m['constraint'])}</td><td>{_number(m['baseline'])}</td>"
            f"<td>{_number(m['ideal'])}</td><td class='guide'>{escape(meaning)}</td></tr>"
        )
    return _table(
        ["stage", "facet", "metric", "current", "constraint", "baseline value", "ideal",
         "what it means"],
        rows,
        id_="metrics",
    )  # fmt: skip


#: Diagnostics' counts in words, in the order people read them.
_COUNT_LABELS = {
    "capture_files": "capture files read",
    "records_read": "captured records read (whole hour folders)",
    "malformed_records": "malformed capture records (skipped)",
    "rows_decoded": "inferences decoded",
    "rows_outside_window": "inferences outside the window (cut at inference time)",
    "rows_without_ground_truth": "inferences without ground truth",
    "unusable_rows": "inferences lacking a value the analysis needs",
    "rows": "rows analysed (with ground truth)",
    "ground_truth_files": "ground-truth files read",
    "ground_truth_read": "ground-truth labels read",
    "duplicate_ground_truth": "labels uploaded again (the latest wins)",
    "ground_truth_without_capture": "labels for inferences outside the window",
    "malformed_ground_truth": "malformed ground-truth lines (skipped)",
    "ft_rows": "rows sampled for the flip test",
    "engine": "counted by the engine",
}


def _diagnostics(diagnostics: dict[str, Any]) -> str:
    records = diagnostics.get("records") or {}
    counts = {k: v for k, v in records.items() if not isinstance(v, list | dict)}
    rows = []
    order = list(_COUNT_LABELS)
    for key, value in sorted(
        counts.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)
    ):
        if value is None:
            continue
        shown = f"{value:,}" if isinstance(value, int) else str(value)
        rows.append(
            f"<tr><td>{escape(_COUNT_LABELS.get(key, key.replace('_', ' ')))}</td>"
            f"<td class='number'>{escape(shown)}</td></tr>"
        )
    decoded, joined = records.get("rows_decoded"), records.get("rows")
    if decoded and joined is not None:
        rows.append(
            f"<tr class='join-rate'><td>join rate (inferences with ground truth)</td>"
            f"<td class='number'>{100 * joined / decoded:.1f} %</td></tr>"
        )
    body = "<h2>Diagnostics</h2>" + _table(["what", "count"], rows, id_="diagnostics")
    window = diagnostics.get("window") or {}
    timings = diagnostics.get("timings") or {}
    shown_timings = ", ".join(
        f"{name.removesuffix('_seconds').replace('_', ' ')} {float(value):.2f} s"
        for name, value in timings.items()
        if isinstance(value, int | float)
    )
    until = window.get("ground_truth_until")
    body += (
        f"<p>Data window {_hour(window.get('start'))} to {_hour(window.get('end'))} UTC"
        + (f"; ground truth uploaded until {_hour(until)} UTC" if until else "")
        + (f". Took {escape(shown_timings)}." if shown_timings else ".")
        + "</p>"
    )
    samples = records.get("malformed_samples") or []
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
    return body


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
            f"<td>{_status(a['status'])}</td><td>{_hour(a['started_at'])}</td>"
            f"<td>{_hour(a['ended_at'])}</td><td>{_hour(a['ground_truth_until'])}</td>"
            f"{_cell(a['rows'])}{_cell(a['violations'])}"
            f"{_cell(a['failure_reason'])}<td>{links}</td></tr>"
        )
    return _table(
        ["attempt", "trigger", "status", "started (UTC)", "ended (UTC)",
         "ground truth until (UTC)", "rows", "violations", "failure reason", "files"],
        rows,
        id_="attempts",
    )  # fmt: skip


def _notifications_table(deliveries: Sequence[dict[str, Any]]) -> str:
    """The execution's notifications: each event's delivery to each receiver, and how it went."""
    rows = [
        f"<tr class='notification'>{_cell(d['attempt'])}{_cell(d['event'])}"
        f"{_cell(d['receiver'])}<td>{_status(d['status'])}</td>{_cell(d['tries'])}"
        f"<td>{_hour(d['delivered_at'] or d['tried_at'])}</td>"
        f"<td>{_hour(d['next_try_at'])}</td>{_cell(d['last_error'])}</tr>"
        for d in deliveries
    ]
    return _table(
        ["attempt", "event", "receiver", "status", "tries", "last try (UTC)",
         "next try (UTC)", "last error"],
        rows,
        id_="notifications",
    )  # fmt: skip


def execution_page(
    execution: dict[str, Any],
    metrics: Sequence[dict[str, Any]],
    violations: Sequence[dict[str, Any]],
    diagnostics: dict[str, Any] | None,
    attempts: Sequence[dict[str, Any]] = (),
    deliveries: Sequence[dict[str, Any]] = (),
    *,
    label: Callable[[str], str] = str,
) -> str:
    """One execution: violations, metrics, diagnostics, attempts, notifications and the report.

    Each violation has the rule in words; each metric its constraint, baseline value, ideal and
    meaning; the diagnostics plain labels, the join rate and the timings.
    """
    schedule = escape(execution["schedule"])
    body = (
        f"<p><a href='/schedules/{schedule}'>← {schedule}</a></p>"
        f"<h1>{_hour(execution['scheduled_time'])} UTC {_status(execution['status'])}"
        f"{_attempt_badge(execution)}</h1>"
        f"<p>Scheduled {_hour(execution['scheduled_time'])} UTC; data hours"
        f" {_data_hours(execution)} UTC; rows with ground truth {_rows(execution)}.</p>"
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
        body += _violations_table(violations, label)
    else:
        body += "<p class='muted'>None.</p>"
    if metrics:
        body += "<h2>Metrics against the constraints</h2>" + _metrics_table(metrics, label)
    if diagnostics:
        body += _diagnostics(diagnostics)
    files = " · ".join(
        f"<a href='/api/executions/{execution['id']}/{kind}'>{escape(name)}</a>"
        for kind, name in OUTPUT_FILES.items()
    )
    output = escape(execution["output_uri"] or "")
    body += f"<h2>Outputs</h2><p>{files}</p><p class='muted'>{output}</p>"
    if attempts:
        body += "<h2>Attempts</h2>" + _attempts_table(execution["id"], attempts)
    if deliveries:
        body += "<h2>Notifications</h2>" + _notifications_table(deliveries)
    if execution["status"] in ("Completed", "CompletedWithViolations"):
        body += (
            f"<h2>Report</h2><iframe title='report' src='/api/executions/{execution['id']}/report'>"
            "</iframe>"
        )
    return layout(f"{execution['schedule']} {execution['scheduled_time']}", body)


def live_page(
    lives: Sequence[EndpointLive],
    *,
    now: datetime,
    refresh: int = LIVE_REFRESH,
    episodes: Mapping[str, Sequence[dict[str, Any]]] | None = None,
) -> str:
    """Each monitored endpoint's live panel: DPPL, DI and share over the last minutes.

    ``episodes`` are the live-violation episodes of each panel's schedule (the API's
    summaries, the latest first), shown under its panel.
    """
    body = (
        "<h1>Live bias</h1><p class='guide'>From the capture's live counts (no ground truth"
        " needed), as of "
        f"{escape(now.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S UTC'))}; this page reloads every"
        f" {refresh} s. DPPL and DI compare the predictions of each facet value with the"
        " others', as an hourly execution does.</p>"
    )
    if not lives:
        body += (
            "<p>No live counts. Give the endpoint's <code>CaptureWriter</code> (or middleware)"
            " a <code>LiveBias</code> built from the schedule's analysis config.</p>"
        )
    for live in lives:
        body += _live_panel(live, (episodes or {}).get(live.schedule, ()), now)
    return layout("Live bias", body, refresh=refresh)


def _live_alerts(live: EndpointLive, episodes: Sequence[dict[str, Any]], now: datetime) -> str:
    """Whether live violations are notified, the episode going on, and the recent episodes."""
    window = live.live_violation_window
    if window is None:
        return (
            "<p class='muted'>Live violations are not notified (the schedule's"
            " <code>live_violation_window</code> turns it on).</p>"
        )
    shown = [e for e in episodes if datetime.fromisoformat(e["began_at"]) <= now]
    text = f"<p>Live violations over the last {window} minutes are notified.</p>"
    going = [
        e for e in shown if e["ended_at"] is None or datetime.fromisoformat(e["ended_at"]) > now
    ]
    if going:
        text += (
            f"<p class='violated'>Live violation since {_hour(going[0]['began_at'])} UTC:"
            f" {escape(going[0]['summary'])}</p>"
        )
    if not shown:
        return text
    rows = [
        f"<tr class='live-episode'><td>{_hour(e['began_at'])}</td><td>{_hour(e['ended_at'])}</td>"
        f"{_cell(e['summary'])}{_cell(e['events'])}<td>"
        + "<br>".join(
            f"{escape(d['event'])} → {escape(d['receiver'])}: {_status(d['status'])}"
            + (f" <span class='muted'>{escape(d['last_error'])}</span>" if d["last_error"] else "")
            for d in e["notifications"]
        )
        + "</td></tr>"
        for e in shown
    ]
    return text + _table(
        ["began (UTC)", "ended (UTC)", "violated", "events", "notifications"],
        rows,
        id_=f"live-{escape(live.endpoint)}-episodes",
    )


def _live_panel(live: EndpointLive, episodes: Sequence[dict[str, Any]], now: datetime) -> str:
    windows = sorted({m.window for m in live.metrics})
    values = {(m.facet, m.facet_value, m.metric, m.window): m.value for m in live.metrics}
    records = {m.window: m.records for m in live.metrics}
    entries = list(dict.fromkeys((m.facet, m.facet_value, m.metric) for m in live.metrics))

    def cell(where: tuple[str, str, str], window: int) -> str:
        violated = (*where, window) in live.violations
        shown = _number(values.get((*where, window)))
        return f"<td class='number{' violated' if violated else ''}'>{shown}</td>"

    rows = [
        f"<tr class='live' data-metric='{escape(metric)}'><td>{escape(facet)}</td>"
        f"<td>{escape(value)}</td><td>{escape(metric)}</td>"
        f"<td class='number muted'>{_number(live.baseline.get((facet, value, metric)))}</td>"
        + "".join(cell((facet, value, metric), w) for w in windows)
        + "</tr>"
        for facet, value, metric in entries
    ]
    rows.append(
        "<tr><td colspan='4' class='muted'>records</td>"
        + "".join(f"<td class='number'>{records[w]:,}</td>" for w in windows)
        + "</tr>"
    )
    endpoint, schedule = escape(live.endpoint), escape(live.schedule)
    flagged = len({(f, v, m) for f, v, m, _ in live.violations})
    verdict = (
        f"<p class='violated'>{flagged} live value(s) violate the baseline's constraints</p>"
        if flagged
        else "<p class='muted'>within the baseline's constraints</p>"
        if live.baseline
        else "<p class='muted'>no baseline to compare with</p>"
    )
    return (
        f"<section class='live-panel' id='live-{endpoint}'><h2>Endpoint {endpoint}</h2>"
        f"<p class='muted'>read with schedule <a href='/schedules/{schedule}'>{schedule}</a>'s"
        " analysis config and violation rules</p>"
        + verdict
        + _table(
            ["facet", "value", "metric", "baseline", *(f"last {w} min" for w in windows)],
            rows,
            id_=f"live-{endpoint}-table",
        )
        + _live_alerts(live, episodes, now)
        + "</section>"
    )


def error_page(status: int, message: str) -> str:
    """A page for a 404 or a 401."""
    return layout(str(status), f"<h1>{status}</h1><p>{escape(message)}</p>")
